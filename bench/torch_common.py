"""Shared pieces of the bench's PyTorch side (bench/*_torch.py, run by bench/torch.mjs with /usr/bin/python3).

Each script times the same work as its bench suite in PyTorch, fp32 on the CPU, and prints ONE line of JSON as
its last line of stdout: {"threads", "torch", "warmup", "msPerStep": [...], ...}. Errors go to stderr with a
non-zero exit, so the suite can say why the PyTorch side is missing.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_args(description, add):
    """Common flags (--threads, --steps, --warmup, --seed) plus the script's own (add(parser))."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--threads', type=int, default=1, help='torch.set_num_threads (intra-op threads)')
    p.add_argument('--steps', type=int, default=4, help='timed steps')
    p.add_argument('--warmup', type=int, default=1, help='untimed steps first (allocations, oneDNN set-up)')
    p.add_argument('--seed', type=int, default=1)
    add(p)
    a = p.parse_args()
    if a.threads < 1 or a.steps < 1 or a.warmup < 0:
        p.error(f'--threads and --steps must be >= 1 and --warmup >= 0 (got {a.threads}, {a.steps}, {a.warmup})')
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    return a


def time_steps(step, steps, warmup):
    """Run step(i) warmup times untimed, then `steps` times timed; ms per timed step, in order."""
    for i in range(warmup):
        step(i)
    ms = []
    for i in range(steps):
        t = time.perf_counter()
        step(warmup + i)
        ms.append((time.perf_counter() - t) * 1000)
    return ms


def emit(args, ms, **extra):
    """Print the result line the suite parses (the last line of stdout)."""
    out = {'threads': args.threads, 'torch': torch.__version__, 'warmup': args.warmup, 'steps': args.steps,
           'msPerStep': [round(x, 2) for x in ms], 'bestMs': round(min(ms), 2),
           'medianMs': round(sorted(ms)[len(ms) // 2], 2), **extra}
    sys.stdout.write(json.dumps(out) + '\n')


def config_arg(text):
    """--config JSON -> dict, with a one-line error on bad JSON."""
    try:
        c = json.loads(text)
    except json.JSONDecodeError as e:
        raise SystemExit(f'--config is not JSON: {e}')
    if not isinstance(c, dict):
        raise SystemExit('--config must be a JSON object')
    return c


class Block(nn.Module):
    """Pre-LN GPT-2 block, as packages/core/src/prior/gpt.ts: causal self-attention + GELU MLP (4d)."""

    def __init__(self, d, nh):
        super().__init__()
        self.nh = nh
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fcproj = nn.Linear(4 * d, d)

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        heads = lambda y: y.view(B, T, self.nh, d // self.nh).transpose(1, 2)  # (B, nh, T, hs)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // self.nh))  # (B, nh, T, T)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)  # (B, T, d)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    """The trunk of gpt.ts: learned positions, blocks, final LayerNorm, untied head without bias; takes embeddings."""

    def __init__(self, vocab, d, layers, nh, ctx):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Parameter(torch.randn(ctx, d) * 0.01)
        self.blocks = nn.ModuleList(Block(d, nh) for _ in range(layers))
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, x):  # x (B, T, d) -> (B, T, vocab)
        h = x + self.wpe[: x.shape[1]]
        for b in self.blocks:
            h = b(h)
        return self.head(self.lnf(h))
