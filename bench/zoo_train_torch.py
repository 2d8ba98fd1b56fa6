"""PyTorch side of bench/suites/zoo-train.mjs: zoo networks trained one by one as zoo/train.ts trainJob does.

Per network: a fresh init, then for each epoch up to the last of config.epochs a seeded shuffle and minibatches of
optimizer.batchSize through softmax cross-entropy and Adam (or SGD), and at each epoch listed in config.epochs an
evaluation (accuracy and loss) on the whole train and test split. The splits are the ones the suite wrote (--data,
raw float32 images NHWC + labels), so both sides see the same images.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_common import config_arg, emit, parse_args, time_steps


def act(name):
    return {'relu': nn.ReLU, 'tanh': nn.Tanh, 'gelu': nn.GELU}[name]()


def build(arch, shape, classes):
    """The default zoo's architectures in PyTorch (packages/architectures/src/mlp.ts, cnn.ts)."""
    h, w, c = shape
    if arch['name'] == 'mlp':
        s = arch['spec']
        pool = s.get('inputPool', 1)
        widths = [(h // pool) * (w // pool) * c, *s['hidden'], classes]
        layers = [nn.AvgPool2d(pool)] if pool > 1 else []
        layers.append(nn.Flatten())
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i < len(widths) - 2:
                layers.append(act(s.get('activation', 'relu')))
        return nn.Sequential(*layers)
    if arch['name'] == 'cnn-s':  # conv (valid) -> max-pool -> tanh, x3; flatten; fc1 tanh; fc2
        layers, cin, size = [], c, h
        for cout, k, p in zip([8, 6, 4], [5, 5, 2], [2, 2, 1]):
            layers += [nn.Conv2d(cin, cout, k), *([nn.MaxPool2d(p)] if p > 1 else []), nn.Tanh()]
            cin, size = cout, (size - k + 1) // p
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * size * size, 20), nn.Tanh(), nn.Linear(20, classes))
    raise SystemExit(f"zoo_train_torch: no PyTorch twin of architecture '{arch['name']}' (have: mlp, cnn-s)")


def split(raw, n, shape):
    """n images (NHWC) then n labels, from a flat float32 array -> x (n, c, h, w), y (n,)."""
    px = n * int(np.prod(shape))
    x = torch.from_numpy(raw[:px].reshape(n, *shape).copy()).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    return x, torch.from_numpy(raw[px:px + n].copy()).long()


def main():
    def add(p):
        p.add_argument('--config', required=True, help='JSON: the zoo config the suite trains (architectures, epochs, optimizer)')
        p.add_argument('--arch', required=True, help='architecture label in config.architectures')
        p.add_argument('--data', required=True, help='float32 file: train images (NHWC), train labels, test images, test labels')
        p.add_argument('--shape', required=True, help='h,w,c of one image')
        p.add_argument('--counts', required=True, help='train,test image counts')
        p.add_argument('--classes', type=int, required=True)
    a = parse_args(__doc__, add)
    c = config_arg(a.config)
    arch = next((x for x in c['architectures'] if x.get('label', x['name']) == a.arch), None)
    if arch is None:
        raise SystemExit(f"--arch {a.arch}: not in the config's architectures ({', '.join(x.get('label', x['name']) for x in c['architectures'])})")
    shape = [int(v) for v in a.shape.split(',')]
    n_train, n_test = (int(v) for v in a.counts.split(','))
    raw = np.fromfile(a.data, dtype=np.float32)
    per = int(np.prod(shape)) + 1
    if raw.size != (n_train + n_test) * per:
        raise SystemExit(f'{a.data}: {raw.size} floats, expected {(n_train + n_test) * per} for {n_train}+{n_test} images of {shape} with labels')
    cut = n_train * per
    train, test = split(raw[:cut], n_train, shape), split(raw[cut:], n_test, shape)
    epochs, o = c['epochs'], c['optimizer']

    @torch.no_grad()
    def evaluate(net, part):
        logits = net(part[0])
        return (logits.argmax(1) == part[1]).float().mean().item(), F.cross_entropy(logits, part[1]).item()

    accs = []

    def network(i):
        torch.manual_seed(a.seed + i)
        net = build(arch, shape, a.classes)
        opt = (torch.optim.Adam if o['name'] == 'adam' else torch.optim.SGD)(net.parameters(), lr=o['learningRate'])
        g = torch.Generator().manual_seed(a.seed + i)
        for epoch in range(1, max(epochs) + 1):
            order = torch.randperm(n_train, generator=g)
            for s in range(0, n_train, o['batchSize']):
                idx = order[s:s + o['batchSize']]
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(net(train[0][idx]), train[1][idx]).backward()
                opt.step()
            if epoch in epochs:
                evaluate(net, train)
                accs.append(evaluate(net, test)[0])

    ms = time_steps(network, a.steps, a.warmup)
    emit(a, ms, networksPerSec=round(1000 * len(ms) / sum(ms), 3), lastTestAccuracy=round(accs[-1], 4))


if __name__ == '__main__':
    main()
