// A network saved in tfjs format is a real tfjs Layers model: a plain tfjs script (scripts/check_tfjs_export.mjs,
// only @tensorflow/tfjs-core + tfjs-layers, no igpg) opens it with tf.loadLayersModel(url) and computes our logits.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { assignWeights, getArchitecture, getDataset, initBackend, loadTfjsWeights, loadZooNetworks, networkWeights, saveTfjsWeights, shutdownBackend, type Network } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';

const root = path.resolve(__dirname, '..');

describe('tfjs Layers export', () => {
  it('zoo cnn-s and pooled MLP, a CNN-l and a GELU MLP load with tf.loadLayersModel and give our logits', async () => {
    registerBuiltinArchitectures();
    registerBuiltinDatasets();
    await initBackend({ backend: 'cpu' });
    const before = tf.memory().numTensors;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-tfjs-layers-'));
    const mnist = await getDataset('mnist').load({ split: 'test', limit: 16 });
    const cases: unknown[] = [];
    const record = (label: string, net: Network, x: tf.Tensor) => {
      const logits = net.apply(x);
      const w = networkWeights(net);
      const json = saveTfjsWeights(path.join(dir, label), w);
      expect(json.format, label).toBe('layers-model');
      const back = loadTfjsWeights(path.join(dir, label)); // igpg reads its own Layers model back bit-identically
      expect(Buffer.from(back.flat.buffer).equals(Buffer.from(w.flat.buffer)), label).toBe(true);
      cases.push({ label, x: Array.from(x.dataSync()), xShape: x.shape, logits: Array.from(logits.dataSync()) });
      logits.dispose();
      net.dispose();
    };
    try {
      for (const n of loadZooNetworks(path.join(root, 'zoo/default'), (e) => e.task.id === 'mnist:all' && e.epoch === 3 && e.seed === 0 && e.architecture.label !== 'mlp-32')) {
        const net = getArchitecture(n.entry.architecture.name).build(n.entry.architecture.spec, 1);
        assignWeights(net, n.flat);
        record(n.entry.architecture.label, net, mnist.x);
      }
      const x = tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 7);
      record('cnn-l', getArchitecture('cnn-l').build({ inputShape: [32, 32, 3], classes: 10 }, 3), x);
      record('mlp-gelu', getArchitecture('mlp').build({ inputShape: [32, 32, 3], classes: 5, hidden: [12, 7], activation: 'gelu' }, 4), x);
      x.dispose();
    } finally {
      tf.dispose([mnist.x, mnist.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
    shutdownBackend();
    fs.writeFileSync(path.join(dir, 'ref.json'), JSON.stringify({ cases }));
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/check_tfjs_export.mjs'), dir], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, { maxAbsDiff: number; argmaxAgree: boolean; layers: string }>;
    console.log(JSON.stringify(result));
    expect(Object.keys(result).sort()).toEqual(['cnn-l', 'cnn-s', 'mlp-16', 'mlp-gelu']);
    for (const [label, v] of Object.entries(result)) {
      expect(v.maxAbsDiff, label).toBeLessThan(1e-5);
      expect(v.argmaxAgree, label).toBe(true);
    }
    expect(result['mlp-16'].layers).toMatch(/^AveragePooling2D Flatten Dense/); // inputPool is part of the topology
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
