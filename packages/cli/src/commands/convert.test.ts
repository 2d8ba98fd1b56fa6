// `igpg convert` through the built binary: zoo checkpoint -> PyTorch safetensors / tfjs Layers model and back.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, unpackZoo } from '@igpg/core';

const root = path.resolve(__dirname, '../../../..');
const bin = path.join(root, 'packages/cli/dist/main.js');
const zooFile = path.join(root, 'zoo/default/weights/mnist__all/cnn-s/s0-e3.safetensors');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-convert-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function igpg(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tensors = (file: string) => decodeSafetensors(fs.readFileSync(file)).tensors;

describe('igpg convert', () => {
  beforeAll(() => {
    expect(fs.existsSync(bin), `${bin} is missing: run \`npm run build\` first`).toBe(true);
    unpackZoo(path.join(root, 'zoo/default')); // shipped packed
  });

  it('converts a zoo checkpoint to PyTorch layout and to a tfjs Layers model, and back, bit-identically', () => {
    const torch = igpg(['convert', zooFile, 'cnn.pt.safetensors', '--json']);
    expect(torch.code, torch.stderr).toBe(0);
    expect(JSON.parse(torch.stdout)).toMatchObject({ arch: 'cnn-s', params: 2464, format: 'safetensors', layout: 'torch' });
    const t = tensors(path.join(dir, 'cnn.pt.safetensors'));
    expect(t['conv1.weight'].shape).toEqual([8, 1, 5, 5]); // PyTorch [out, in, kh, kw]
    expect(t['fc1.weight'].shape).toEqual([20, 36]); // PyTorch [out, in]

    const layers = igpg(['convert', zooFile, 'cnn-tfjs', '--format', 'tfjs-layers']);
    expect(layers.code, layers.stderr).toBe(0);
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'cnn-tfjs/model.json'), 'utf8'));
    expect(model.format).toBe('layers-model');
    expect(model.modelTopology.class_name).toBe('Sequential');

    // back: tfjs Layers -> tfjs-layout safetensors equals the zoo file's tensors; -> torch equals the direct export
    expect(igpg(['convert', 'cnn-tfjs', 'back.safetensors', '--layout', 'tfjs']).code).toBe(0);
    expect(igpg(['convert', 'cnn-tfjs/model.json', 'back.pt.safetensors']).code).toBe(0);
    const [zoo, back, backPt] = [tensors(zooFile), tensors(path.join(dir, 'back.safetensors')), tensors(path.join(dir, 'back.pt.safetensors'))];
    expect(Object.keys(back)).toEqual(Object.keys(zoo));
    for (const name of Object.keys(zoo)) {
      expect(Buffer.from(back[name].data.buffer).equals(Buffer.from(zoo[name].data.buffer)), name).toBe(true);
      expect(Buffer.from(backPt[name].data.buffer).equals(Buffer.from(t[name].data.buffer)), name).toBe(true);
    }
  });

  it('rejects bad input with one line naming the problem', () => {
    const missing = igpg(['convert', 'nothere.safetensors', 'x.safetensors']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothere.safetensors: not found/);
    const format = igpg(['convert', zooFile, 'x', '--format', 'onnx']);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format onnx: choose safetensors or tfjs-layers/);
    const ext = igpg(['convert', zooFile, 'x.bin']);
    expect(ext.code).toBe(2);
    expect(ext.stderr).toMatch(/must end in \.safetensors/);
    const layout = igpg(['convert', zooFile, 'x', '--format', 'tfjs-layers', '--layout', 'torch']);
    expect(layout.code).toBe(2);
    expect(layout.stderr).toMatch(/always in Keras layout/);
  });
});
