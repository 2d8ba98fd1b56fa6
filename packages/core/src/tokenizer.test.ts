import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import type { ParamInfo } from './sdk/types';
import { createTokenizer, encodeLayout, fitTokenizer, tokenizerFromJSON } from './tokenizer';

// CNN-s (Schürholt) canonical layout in tfjs shapes: 2,464 params on 28x28x1
const cnnS: ParamInfo[] = [
  { name: 'c0.weight', role: 'kernel', shape: [5, 5, 1, 8], layer: 0 }, { name: 'c0.bias', role: 'bias', shape: [8], layer: 0 },
  { name: 'c1.weight', role: 'kernel', shape: [5, 5, 8, 6], layer: 1 }, { name: 'c1.bias', role: 'bias', shape: [6], layer: 1 },
  { name: 'c2.weight', role: 'kernel', shape: [2, 2, 6, 4], layer: 2 }, { name: 'c2.bias', role: 'bias', shape: [4], layer: 2 },
  { name: 'f0.weight', role: 'kernel', shape: [36, 20], layer: 3 }, { name: 'f0.bias', role: 'bias', shape: [20], layer: 3 },
  { name: 'f1.weight', role: 'kernel', shape: [20, 10], layer: 4 }, { name: 'f1.bias', role: 'bias', shape: [10], layer: 4 },
];
const mlp = (hidden: number[]): ParamInfo[] => {
  const w = [4, ...hidden, 3];
  return w.slice(1).flatMap((o, i) => [
    { name: `layers.${i}.weight`, role: 'kernel' as const, shape: [w[i], o], layer: i },
    { name: `layers.${i}.bias`, role: 'bias' as const, shape: [o], layer: i },
  ]);
};
const sampleNet = (infos: ParamInfo[], seed: number) => {
  const rng = createRng(seed);
  const parts = infos.map((p, i) => Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => 0.1 * i + rng.normal() * (p.role === 'bias' ? 0.05 : 0.4)));
  return Float32Array.from(parts.flat());
};

describe('tokenizer', () => {
  it('neuron grouping: one chunk group per unit (incoming weights + bias), long units split into equal parts', () => {
    const layout = encodeLayout(cnnS, 64);
    expect(layout.params).toBe(2464);
    // units: conv 8 x 26 values, 6 x 201 (4 parts of <= 51), 4 x 25, fc 20 x 37, 10 x 21
    expect(layout.positions.length).toBe(8 + 6 * 4 + 4 + 20 + 10);
    const c1 = layout.positions.filter((p) => p.layer === 1);
    expect(c1.map((p) => p.length)).toEqual(Array.from({ length: 6 }, () => [51, 51, 51, 48]).flat());
    expect(c1[5]).toMatchObject({ unit: 1, units: 6, part: 1, parts: 4, role: 'kernel', tensorName: 'c1.weight' });
    // every value sits in exactly one chunk slot; a unit's last slot is its bias
    const hits = new Int32Array(2464);
    for (const i of layout.source) if (i >= 0) hits[i]++;
    expect(hits.every((h) => h === 1)).toBe(true);
    const unit3 = layout.positions.find((p) => p.layer === 3 && p.unit === 3)!;
    expect(layout.source[unit3.chunk * 64 + 36]).toBe(208 + 1206 + 100 + 720 + 3); // f0.bias[3]
    // round trip through chunk / unchunk in both layouts
    const flat = sampleNet(cnnS, 4);
    for (const layoutName of ['torch', 'tfjs'] as const) {
      const tok = createTokenizer({ normalize: 'none', layout: layoutName });
      expect(Array.from(tok.unchunk(cnnS, tok.chunk(cnnS, flat).values))).toEqual(Array.from(flat));
    }
  });

  it('layer grouping: per-layer chunks with positions; only a layer\'s last chunk is padded', () => {
    const layout = encodeLayout(cnnS, 64, 'layer');
    expect(layout.params).toBe(2464);
    // layer sizes 208, 1206, 100, 740, 210 -> 4 + 19 + 2 + 12 + 4 chunks
    expect(layout.positions.length).toBe(41);
    const l1 = layout.positions.filter((p) => p.layer === 1);
    expect(l1.map((p) => p.length)).toEqual([...Array(18).fill(64), 54]);
    expect(l1[18]).toMatchObject({ layers: 5, role: 'kernel', tensor: 2, tensorName: 'c1.weight', offset: 1152, tensorSize: 1200, chunkInLayer: 18, chunk: 22, start: 208 + 1152 });
    const fc = layout.positions.find((p) => p.layer === 3 && p.chunkInLayer === 11)!;
    expect(fc).toMatchObject({ role: 'kernel', tensor: 6, offset: 704, length: 740 - 704 }); // kernel tail + the bias
    const k50 = encodeLayout(cnnS, 50, 'layer').positions.find((p) => p.layer === 0 && p.chunkInLayer === 4)!;
    expect(k50).toMatchObject({ role: 'bias', tensor: 1, offset: 0, length: 8, start: 200 }); // starts at the bias
  });

  it('chunk and unchunk are exact inverses, padding masked', () => {
    const nets = [1, 2, 3].map((s) => sampleNet(cnnS, s));
    const tok = fitTokenizer(nets.map((flat) => ({ infos: cnnS, flat })), { chunkSize: 32 });
    const { values, mask, positions } = tok.chunk(cnnS, nets[0]);
    expect(values.length).toBe(positions.length * 32);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(2464);
    values.forEach((v, i) => { if (!mask[i]) expect(v).toBe(0); });
    const back = tok.unchunk(cnnS, values);
    back.forEach((v, i) => expect(Math.abs(v - nets[0][i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(nets[0][i]))));
    // normalised per tensor over the zoo: mean ~0, std ~1
    const all = nets.flatMap((n) => Array.from(tok.chunk(cnnS, n).values.filter((_, i) => mask[i])));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length)).toBeCloseTo(1, 1);
  });

  it('survives JSON and falls back for unseen widths by role and fan-in', () => {
    const seen = mlp([16]);
    const tok = fitTokenizer([1, 2].map((s) => ({ infos: seen, flat: sampleNet(seen, s) })), { chunkSize: 8 });
    const again = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    const flat = sampleNet(seen, 9);
    expect(Array.from(again.chunk(seen, flat).values)).toEqual(Array.from(tok.chunk(seen, flat).values));
    const wider = mlp([64, 64]);
    const st = tok.statsFor(wider);
    expect(st.map((s) => s.fitted)).toEqual([false, false, false, false, false, false]);
    const seenSt = tok.statsFor(seen);
    // layers.1.weight: fan-in 64, nearest fitted kernel has fan-in 16 -> std / 2
    expect(st[2].std).toBeCloseTo(seenSt[2].std / 2, 6);
    const w = sampleNet(wider, 3);
    const back = tok.unchunk(wider, tok.chunk(wider, w).values);
    back.forEach((v, i) => expect(v).toBeCloseTo(w[i], 5));
  });

  it("chunks kernels unit-major ('torch'): a chunk holds one output unit's inputs; 'tfjs' and format 1 keep stored order", () => {
    const infos = mlp([16]); // layers.0.weight [4, 16]: 16 units of 4 inputs
    const flat = sampleNet(infos, 5);
    const unit = (u: number) => [0, 1, 2, 3].map((i) => flat[i * 16 + u]); // unit u's 4 inputs in [in, out] storage
    const torch = createTokenizer({ chunkSize: 4, normalize: 'none', grouping: 'layer' });
    const c = torch.chunk(infos, flat).values;
    [0, 1, 7, 15].forEach((u) => expect(Array.from(c.subarray(u * 4, u * 4 + 4))).toEqual(unit(u).map(Math.fround)));
    expect(Array.from(torch.unchunk(infos, c))).toEqual(Array.from(flat));
    const tfjs = createTokenizer({ chunkSize: 4, normalize: 'none', layout: 'tfjs', grouping: 'layer' });
    expect(Array.from(tfjs.chunk(infos, flat).values.subarray(0, 4))).toEqual(Array.from(flat.subarray(0, 4)));
    const v1 = tokenizerFromJSON({ ...torch.toJSON(), version: 1, config: { chunkSize: 4, normalize: 'none' } as never });
    expect(v1.config).toMatchObject({ layout: 'tfjs', grouping: 'layer' });
    const v2 = tokenizerFromJSON({ ...torch.toJSON(), version: 2, config: { chunkSize: 4, normalize: 'none', layout: 'torch' } as never });
    expect(v2.config).toMatchObject({ layout: 'torch', grouping: 'layer' });
    // conv kernels too: cnn-s's first chunk is filter 0's 5x5 taps
    const conv = sampleNet(cnnS, 6);
    const first = createTokenizer({ chunkSize: 25, normalize: 'none', grouping: 'layer' }).chunk(cnnS, conv).values.subarray(0, 25);
    expect(Array.from(first)).toEqual(Array.from({ length: 25 }, (_, t) => conv[t * 8]));
  });

  it('rejects bad input with clear errors', () => {
    const tok = createTokenizer({ chunkSize: 8 });
    expect(() => tok.chunk(cnnS, new Float32Array(10))).toThrow(/got 10 values.*2464 params.*needs 2464/);
    expect(() => createTokenizer({ chunkSize: 8, grouping: 'layer' }).chunk(cnnS, new Float32Array(10))).toThrow(/got 10 values/);
    expect(() => tok.unchunk(cnnS, new Float32Array(10))).toThrow(/needs/);
    expect(() => createTokenizer({ chunkSize: 0 })).toThrow(/chunkSize/);
    expect(() => createTokenizer({ chunk: 8 } as never)).toThrow(/unknown key "chunk"/);
    expect(() => encodeLayout([cnnS[0], cnnS[2], cnnS[1]], 8)).toThrow(/not contiguous/);
    expect(() => tokenizerFromJSON({ ...tok.toJSON(), version: 4 })).toThrow(/version 4/);
    expect(() => createTokenizer({ grouping: 'unit' } as never)).toThrow(/grouping/);
  });
});
