"""PyTorch side of bench/suites/vqvae.mjs: VQ-VAE training steps as trainVqvae runs them (packages/core/src/vqvae).

MLP encoder K -> hidden -> D, a residual quantizer of l EMA levels (C codes of D dims each, nearest code per level,
commitment loss, straight-through), the mirrored decoder, masked MSE, Adam; after each step every level's EMA
codebook update with dead-code restarts from batch rows, and the batch's code counts on the host (usage stats).
Chunks are random stand-ins drawn with replacement per step (speed does not depend on their values).
"""
import torch
import torch.nn as nn

from torch_common import config_arg, emit, parse_args, time_steps


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ResidualEma:
    """l EMA codebooks (C, D), each quantizing what the levels before it left (quantizer-residual.ts)."""

    def __init__(self, levels, C, D, decay, beta, threshold, eps=1e-5):
        self.decay, self.beta, self.threshold, self.eps = decay, beta, threshold, eps
        self.embed = [torch.randn(C, D) for _ in range(levels)]
        self.size = [torch.full((C,), threshold) for _ in range(levels)]
        self.avg = [e * threshold for e in self.embed]

    def quantize(self, z):  # z (M, D) -> straight-through quantized (M, D), indices (M, l), residual inputs, commit loss
        inputs, idx = [], []
        with torch.no_grad():
            r = z.detach()
            for e in self.embed:
                inputs.append(r)
                d = r.pow(2).sum(1, keepdim=True) - 2 * r @ e.t() + e.pow(2).sum(1)  # (M, C)
                i = d.argmin(1)
                idx.append(i)
                r = r - e[i]
            total = z.detach() - r  # (M, D): sum of the l code vectors
        commit = self.beta * (z - total).pow(2).mean()
        return z + (total - z).detach(), torch.stack(idx, 1), inputs, commit

    @torch.no_grad()
    def update(self, inputs, idx):
        dead = 0
        for k, (x, i) in enumerate(zip(inputs, idx.unbind(1))):
            C = self.embed[k].shape[0]
            onehot = torch.nn.functional.one_hot(i, C).float()  # (M, C)
            self.size[k].mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
            self.avg[k].mul_(self.decay).add_(onehot.t() @ x, alpha=1 - self.decay)
            n = self.size[k].sum()
            smoothed = (self.size[k] + self.eps) / (n + C * self.eps) * n
            self.embed[k] = self.avg[k] / smoothed.unsqueeze(1)
            gone = (self.size[k] < self.threshold).nonzero().flatten()
            dead += len(gone)
            if len(gone):
                rows = x[torch.randint(0, x.shape[0], (len(gone),))]
                self.embed[k][gone] = rows
                self.avg[k][gone] = rows * self.threshold
                self.size[k][gone] = self.threshold
        return dead


def main():
    a = parse_args(__doc__, lambda p: p.add_argument('--config', required=True, help='JSON: chunkSize, codesPerChunk, codebookSize, codeDim, hidden, batchSize, chunks, lr, decay, commitmentWeight, deadCodeThreshold'))
    c = config_arg(a.config)
    K, L, C, D, B = c['chunkSize'], c['codesPerChunk'], c['codebookSize'], c['codeDim'], c['batchSize']
    enc, dec = mlp([K, *c['hidden'], D]), mlp([D, *reversed(c['hidden']), K])
    q = ResidualEma(L, C, D, c.get('decay', 0.95), c.get('commitmentWeight', 0.25), c.get('deadCodeThreshold', 0.5))
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=c.get('lr', 2e-3))
    data = torch.randn(c['chunks'], K)  # (N, K) stand-in chunks
    mask = torch.ones(c['chunks'], K)
    with torch.no_grad():  # data-dependent init, as initFrom: level k from a batch's residuals
        r = enc(data[torch.randint(0, len(data), (B,))])
        for k in range(L):
            q.embed[k] = r[torch.randint(0, B, (C,))].clone()
            q.avg[k] = q.embed[k] * q.threshold
            i = (r.pow(2).sum(1, keepdim=True) - 2 * r @ q.embed[k].t() + q.embed[k].pow(2).sum(1)).argmin(1)
            r = r - q.embed[k][i]

    def step(_):
        pick = torch.randint(0, len(data), (B,))
        x, m = data[pick], mask[pick]  # (B, K)
        opt.zero_grad(set_to_none=True)
        z = enc(x)  # (B, D)
        zq, idx, inputs, commit = q.quantize(z)
        recon = dec(zq)
        loss = ((recon - x).pow(2) * m).sum() / m.sum().clamp(min=1) + commit
        loss.backward()
        opt.step()
        q.update(inputs, idx)
        counts = torch.bincount(idx.flatten(), minlength=C).numpy()  # usage stats on the host, as trainVqvae logs them
        return loss.item(), counts

    ms = time_steps(step, a.steps, a.warmup)
    emit(a, ms, chunksPerStep=B)


if __name__ == '__main__':
    main()
