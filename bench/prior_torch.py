"""PyTorch side of bench/suites/prior.mjs: one prior training step as priorLoss + Adam run it (packages/core/src/prior).

The chunk-level prior of prior.ts: condition prefix (hashed instruction and architecture features (B, buckets) @ W,
projected to d, nulls where dropped; no dataset condition, as in the suite) + chunk inputs (the previous chunk's l
codes embedded per level and summed, + a projection of the position features) -> the GPT trunk -> the depth head
(level k sees h + the embeddings of the chunk's codes at levels < k + a level embedding; W2 gelu(W1 .)) -> logits
(B, T*l, C), masked cross-entropy, Adam over every trainable weight. Codes are random (speed does not depend on them).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_common import GPT, config_arg, emit, parse_args, time_steps

PREFIX = 3  # instruction, dataset, architecture


class Prior(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, L, C, H, cd = c['dModel'], c['codesPerChunk'], c['codebookSize'], c['depthHidden'], c['condDim']
        self.L, self.C, self.d = L, C, d
        self.gpt = GPT(d, d, c['nLayers'], c['nHeads'], c['contextLength'])  # the trunk emits d features, not codes
        self.instrW = nn.Parameter(torch.randn(c['instructionBuckets'], cd) / cd ** 0.5)
        self.archW = nn.Parameter(torch.randn(c['architectureBuckets'], cd) / cd ** 0.5)
        self.archNum = nn.Linear(4, cd)
        self.projInstr, self.projData, self.projArch = nn.Linear(cd, d), nn.Linear(cd, d), nn.Linear(cd, d)
        self.posProj = nn.Linear(c['positionFeatures'], d, bias=False)
        self.nulls = nn.Parameter(torch.randn(PREFIX, d) * 0.02)
        self.bos = nn.Parameter(torch.randn(1, d) * 0.02)
        self.inEmbed = nn.Embedding(L * C, d)  # row k*C + code: code at level k of the previous chunk
        self.depthEmbed = nn.Embedding(L * C, d)  # row j*C + code, seen by levels > j
        self.level = nn.Parameter(torch.randn(L, d) * 0.02)
        self.w1, self.w2 = nn.Linear(d, H), nn.Linear(H, C)

    def forward(self, b):
        B, T, L, C, d = b['B'], b['T'], self.L, self.C, self.d
        instr = self.projInstr(b['instrFeat'] @ self.instrW)  # (B, d)
        arch = self.projArch(b['archFeat'] @ self.archW + self.archNum(b['archNum']))  # (B, d)
        cond = torch.stack([instr, torch.zeros_like(instr), arch], 1)  # (B, 3, d): no support set
        keep = b['keep']  # (B, 3, 1)
        prefix = cond * keep + (1 - keep) * self.nulls
        lvl = torch.arange(L) * C
        e = self.inEmbed(b['prev'].clamp(min=0) + lvl).sum(2)  # (B, T, d) from (B, T, l)
        bos = (b['prev'][..., 0] < 0).unsqueeze(-1).float()  # (B, T, 1)
        inputs = e * (1 - bos) + bos * self.bos + self.posProj(b['rows'])
        h = self.gpt(torch.cat([prefix, inputs], 1))[:, PREFIX:]  # (B, T, d)
        g = self.depthEmbed(b['targets'] + lvl)  # (B, T, l, d)
        below = g.cumsum(2) - g  # sum over levels j < k
        z = h.unsqueeze(2) + below + self.level  # (B, T, l, d)
        logits = self.w2(F.gelu(self.w1(z)))  # (B, T, l, C)
        nll = F.cross_entropy(logits.reshape(-1, C), b['targets'].reshape(-1), reduction='none')
        m = b['mask'].repeat_interleave(L)
        return (nll * m).sum() / m.sum()


def batch(c, g):
    B, T, L, C = c['batch'], c['T'], c['codesPerChunk'], c['codebookSize']
    feats = lambda n: F.normalize((torch.rand(B, n, generator=g) < 20 / n).float() + 1e-9, dim=1)  # ~20 hashed n-grams
    prev = torch.randint(0, C, (B, T, L), generator=g)
    prev[:, 0] = -1  # windows start at the network's first chunk: BOS
    return {
        'B': B, 'T': T, 'prev': prev, 'targets': torch.randint(0, C, (B, T, L), generator=g),
        'rows': torch.rand(B, T, c['positionFeatures'], generator=g), 'mask': torch.ones(B * T),
        'keep': (torch.rand(B, PREFIX, 1, generator=g) >= c.get('condDropout', 0.1)).float(),
        'instrFeat': feats(c['instructionBuckets']), 'archFeat': feats(c['architectureBuckets']), 'archNum': torch.rand(B, 4, generator=g),
    }


def main():
    a = parse_args(__doc__, lambda p: p.add_argument('--config', required=True, help='JSON: the prior config (dModel, nLayers, nHeads, contextLength, depthHidden, codesPerChunk, codebookSize, condDim, instructionBuckets, architectureBuckets, positionFeatures) + batch, T'))
    c = config_arg(a.config)
    prior = Prior(c)
    params = [p for n, p in prior.named_parameters() if not n.startswith('gpt.wte')]  # the trunk's token table is unused
    opt = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(a.seed)

    def step(_):
        b = batch(c, g)
        opt.zero_grad(set_to_none=True)
        loss = prior(b)
        loss.backward()
        opt.step()
        return loss.item()

    ms = time_steps(step, a.steps, a.warmup)
    emit(a, ms, tokensPerStep=c['batch'] * c['T'], codesPerStep=c['batch'] * c['T'] * c['codesPerChunk'])


if __name__ == '__main__':
    main()
