// A network exported with layout 'torch' loads into real PyTorch (Debian's python3-torch, installed by
// scripts/setup.sh) by tensor name, with load_state_dict(strict=True), and computes the same logits as tfjs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assignWeights, getArchitecture, getDataset, initBackend, loadZooNetworks, networkWeights, saveNetworkSafetensors, shutdownBackend, type Network } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';

const root = path.resolve(__dirname, '..');
const python = '/usr/bin/python3';

describe('PyTorch export', () => {
  it('loads trained zoo networks (cnn-s, pooled MLP) and a CNN-l by name in PyTorch with matching logits', async () => {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
    expect(probe.status, `PyTorch is missing (${probe.stderr.trim().split('\n').pop()}); run \`bash scripts/setup.sh\` (installs python3-torch)`).toBe(0);
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
    await initBackend({ backend: 'cpu' });
    const before = tf.memory().numTensors;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-torch-'));
    const mnist = await getDataset('mnist').load({ split: 'test', limit: 16 });
    const cases: unknown[] = [];
    const record = (label: string, arch: string, spec: Record<string, unknown>, net: Network, x: tf.Tensor) => {
      const logits = net.apply(x);
      saveNetworkSafetensors(path.join(dir, `${label}.safetensors`), networkWeights(net), { layout: 'torch' });
      cases.push({ label, arch, spec, x: Array.from(x.dataSync()), xShape: x.shape, logits: Array.from(logits.dataSync()) });
      logits.dispose();
      net.dispose();
    };
    try {
      for (const n of loadZooNetworks(path.join(root, 'zoo/default'), (e) => e.task.id === 'mnist:all' && e.epoch === 3 && e.seed === 0 && e.architecture.label !== 'mlp-32')) {
        const net = getArchitecture(n.entry.architecture.name).build(n.entry.architecture.spec, 1);
        assignWeights(net, n.flat);
        record(n.entry.architecture.label, n.entry.architecture.name, n.entry.architecture.spec, net, mnist.x);
      }
      const cnnL = { inputShape: [32, 32, 3], classes: 10 };
      const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 7);
      record('cnn-l', 'cnn-l', cnnL, getArchitecture('cnn-l').build(cnnL, 3), x);
      x.dispose();
    } finally {
      tf.dispose([mnist.x, mnist.y]);
    }
    expect(cases).toHaveLength(3);
    fs.writeFileSync(path.join(dir, 'ref.json'), JSON.stringify({ cases }));
    const r = spawnSync(python, [path.join(root, 'scripts/check_pytorch_export.py'), dir], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, { maxAbsDiff: number; argmaxAgree: boolean }>;
    expect(Object.keys(result).sort()).toEqual(['cnn-l', 'cnn-s', 'mlp-16']);
    for (const [label, v] of Object.entries(result)) {
      expect(v.maxAbsDiff, label).toBeLessThan(1e-4);
      expect(v.argmaxAgree, label).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    shutdownBackend();
  });
});
