// Class order of generated outputs, through the real `igpg generate` and the shipped generator (runs/default): output j
// of a network is the class `classes[j]` of the --json report, in the order the instruction (or --classes) gave.
// Checked against the data: the weights written to disk, scored with labels in the reported order.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignWeights, evaluateNetwork, getArchitecture, getDataset, initBackend, loadNetworkSafetensors, makeTask, permuteOutputs, shutdownBackend } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-order-'));
const ARCH = JSON.stringify({ name: 'mlp', spec: { hidden: [32], activation: 'relu', inputPool: 4 } });

function generate(name: string, instruction: string, extra: string[] = []) {
  const out = path.join(dir, name);
  const r = spawnSync(process.execPath, [bin, 'generate', '--instruction', instruction, '--arch', ARCH, '--dataset', 'fashion-mnist:sandal+sneaker',
    '--n', '2', '--seed', '1', '--generator', 'runs/default', '--out', out, '--format', 'safetensors', '--json', ...extra],
  { cwd: root, encoding: 'utf8', timeout: 300_000, env: { ...process.env, IGPG_BACKEND: 'wasm' } });
  expect(r.status, r.stderr).toBe(0);
  return { ...(JSON.parse(r.stdout) as { classes: string[]; accuracies: number[]; files: string[] }), out };
}

/** Accuracy of a written network when output j is read as class `classes[j]`. */
async function scoreAs(file: string, classes: string[]): Promise<{ accuracy: number; logits: number[][] }> {
  const w = loadNetworkSafetensors(file);
  const net = getArchitecture(w.arch).build(w.spec, 1);
  assignWeights(net, w.flat);
  const fashion = getDataset('fashion-mnist');
  const task = makeTask(fashion, classes); // canonical: labels in dataset order
  const data = await fashion.load({ split: 'test', classes: classes.map((c) => fashion.classes.indexOf(c)) }); // labels in `classes` order
  const accuracy = (await evaluateNetwork(net, data)).accuracy;
  const logits = tf.tidy(() => net.apply(tf.slice(data.x, 0, 5)).arraySync() as number[][]);
  tf.dispose([data.x, data.y]);
  net.dispose();
  expect(task.classes).toEqual(['Sandal', 'Sneaker']);
  return { accuracy, logits };
}

beforeAll(async () => {
  expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
  await initBackend({ backend: 'cpu' });
});
afterAll(() => {
  shutdownBackend();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('class order of generated outputs', () => {
  it('"sneaker vs sandal" and "sandal vs sneaker" give outputs in that order, as --json reports and the data confirms', async () => {
    const a = generate('a', 'sneaker vs sandal');
    const b = generate('b', 'sandal vs sneaker');
    expect(a.classes).toEqual(['Sneaker', 'Sandal']);
    expect(b.classes).toEqual(['Sandal', 'Sneaker']);
    for (const r of [a, b]) {
      for (const [i, file] of r.files.entries()) {
        const right = await scoreAs(file, r.classes);
        const swapped = await scoreAs(file, [...r.classes].reverse());
        expect(right.accuracy).toBeCloseTo(r.accuracies[i], 6); // the report scores the outputs as it names them
        expect(right.accuracy).toBeGreaterThan(0.8); // and that reading is the right one on the data ...
        expect(swapped.accuracy).toBeLessThan(0.2); // ... the other reading is wrong on nearly every image
      }
    }
  }, 600_000);

  it('--classes reorders the same networks exactly; bad --classes gives a one-line error', async () => {
    const plain = generate('c', 'Tell sandals from sneakers');
    const flipped = generate('d', 'Tell sandals from sneakers', ['--classes', 'Sneaker,Sandal']);
    expect(plain.classes).toEqual(['Sandal', 'Sneaker']);
    expect(flipped.classes).toEqual(['Sneaker', 'Sandal']);
    expect(flipped.accuracies).toEqual(plain.accuracies);
    const p = loadNetworkSafetensors(plain.files[0]), f = loadNetworkSafetensors(flipped.files[0]);
    expect(Array.from(permuteOutputs(p.infos, p.flat, [1, 0]))).toEqual(Array.from(f.flat));
    const bad = spawnSync(process.execPath, [bin, 'generate', '--instruction', 'x', '--arch', 'mlp', '--dataset', 'fashion-mnist:sandal+sneaker', '--classes', 'Sneaker,Bag', '--generator', 'runs/default'],
      { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/does not name the classes of task "fashion-mnist:sandal\+sneaker"/);
  }, 600_000);
});
