#!/usr/bin/env python3
"""Load igpg networks exported with layout 'torch' into real PyTorch modules by tensor name and compare logits.

Usage: python3 scripts/check_pytorch_export.py DIR
DIR holds <label>.safetensors files and ref.json: {"cases": [{"label", "arch", "spec", "x", "xShape", "logits"}]}.
Prints one JSON object: {label: {"maxAbsDiff", "argmaxAgree"}}. Uses a minimal F32 safetensors reader (the
`safetensors` Python package is not in Debian 12).
"""
import json, struct, sys
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F


def load_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header, body = json.loads(data[8:8 + n]), data[8 + n:]
    tensors = {}
    for name, v in header.items():
        if name == '__metadata__':
            continue
        assert v['dtype'] == 'F32', f'{path}: {name} is {v["dtype"]}'
        begin, end = v['data_offsets']
        tensors[name] = torch.from_numpy(np.frombuffer(body[begin:end], dtype=np.float32).copy().reshape(v['shape']))
    return tensors


class ZooCNN(nn.Module):  # the module in packages/architectures/README.md
    def __init__(self, cin, ch, k, pools, flat, hidden=20, classes=10):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(cin, ch[0], k[0]), nn.Conv2d(ch[0], ch[1], k[1]), nn.Conv2d(ch[1], ch[2], k[2])
        self.fc1, self.fc2, self.pools = nn.Linear(flat, hidden), nn.Linear(hidden, classes), pools

    def forward(self, x):
        for conv, p in zip([self.conv1, self.conv2, self.conv3], self.pools):
            x = torch.tanh(F.max_pool2d(conv(x), p) if p > 1 else conv(x))
        return self.fc2(torch.tanh(self.fc1(x.flatten(1))))


class MLP(nn.Module):  # `layers` ModuleList; inputPool = nn.AvgPool2d before the flatten
    def __init__(self, widths, pool, act):
        super().__init__()
        self.layers, self.pool, self.act = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])]), pool, act

    def forward(self, x):
        if self.pool > 1:
            x = F.avg_pool2d(x, self.pool)
        x = x.flatten(1)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = {'relu': torch.relu, 'tanh': torch.tanh}[self.act](x)
        return x


def module_for(arch, spec):
    h, w, c = spec['inputShape']
    if arch == 'cnn-s':
        return ZooCNN(c, [8, 6, 4], [5, 5, 2], [2, 2, 1], 36, classes=spec['classes'])
    if arch == 'cnn-l':
        return ZooCNN(c, [16, 32, 15], [3, 3, 3], [2, 2, 2], 60, classes=spec['classes'])
    if arch == 'mlp':
        p = spec.get('inputPool', 1)
        return MLP([(h // p) * (w // p) * c, *spec['hidden'], spec['classes']], p, spec.get('activation', 'relu'))
    raise SystemExit(f'no PyTorch module for architecture {arch}')


def main(d):
    ref = json.load(open(f'{d}/ref.json'))
    out = {}
    for case in ref['cases']:
        model = module_for(case['arch'], case['spec'])
        model.load_state_dict(load_safetensors(f"{d}/{case['label']}.safetensors"), strict=True)
        x = torch.tensor(case['x'], dtype=torch.float32).reshape(case['xShape']).permute(0, 3, 1, 2)  # NHWC -> NCHW
        with torch.no_grad():
            y = model(x).numpy().reshape(-1, case['spec']['classes'])
        expected = np.array(case['logits'], dtype=np.float32).reshape(y.shape)
        out[case['label']] = {'maxAbsDiff': float(np.abs(y - expected).max()), 'argmaxAgree': bool((y.argmax(1) == expected.argmax(1)).all())}
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
