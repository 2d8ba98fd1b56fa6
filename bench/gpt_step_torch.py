"""PyTorch side of bench/suites/gpt-step.mjs: one GPT training step (forward, backward, Adam) on random ids."""
import torch
import torch.nn.functional as F

from torch_common import GPT, config_arg, emit, parse_args, time_steps


def main():
    a = parse_args(__doc__, lambda p: p.add_argument('--config', required=True, help='JSON: vocabSize, dModel, nLayers, nHeads, contextLength, batch'))
    c = config_arg(a.config)
    V, T, B = c['vocabSize'], c['contextLength'], c['batch']
    gpt = GPT(V, c['dModel'], c['nLayers'], c['nHeads'], T)
    opt = torch.optim.Adam(gpt.parameters(), lr=3e-4)
    g = torch.Generator().manual_seed(a.seed)
    ids = torch.randint(0, V, (B, T), generator=g)  # (B, T)
    targets = torch.randint(0, V, (B, T), generator=g)

    def step(_):
        opt.zero_grad(set_to_none=True)
        logits = gpt(gpt.wte(ids))  # (B, T, V)
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
        loss.backward()
        opt.step()
        return loss.item()

    ms = time_steps(step, a.steps, a.warmup)
    emit(a, ms, tokensPerStep=B * T)


if __name__ == '__main__':
    main()
