import { describe, expect, it } from 'vitest';
import * as figures from './figures';
import type { TokenChunk } from './types';

describe('figure builders', () => {
  it('codebookUsage: frequencies sum to 1 and the heatmap keeps layers x codes', () => {
    const fig = figures.codebookUsage({ counts: [3, 0, 1], perLayer: [[2, 0, 1], [1, 0, 0]] });
    const bar = fig.data[0] as { y: number[] };
    expect(bar.y.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect((fig.layout.title as { text: string }).text).toContain('2/3 codes used');
    // normalised per layer: each row is that layer's share of its own codes; raw counts stay in the hover
    expect((fig.data[1] as { z: number[][] }).z).toEqual([[2 / 3, 0, 1 / 3], [1, 0, 0]]);
    expect((fig.data[1] as { customdata: number[][] }).customdata).toEqual([[2, 0, 1], [1, 0, 0]]);
  });

  it('codebookUsage takes core codeUsage() output as it is (typed arrays, perLayer objects)', () => {
    const u = { counts: new Int32Array([4, 0, 2]), perplexity: 1.9, perLayer: [{ layer: 0, counts: new Int32Array([3, 0, 1]) }, { layer: 2, counts: new Int32Array([1, 0, 1]) }] };
    const fig = figures.codebookUsage(u);
    expect((fig.data[1] as { y: string[] }).y).toEqual(['layer 0', 'layer 2']);
    expect((fig.data[1] as { z: number[][] }).z[1]).toEqual([0.5, 0, 0.5]);
  });

  it('codebookUsage rejects ragged or negative counts with the offending index', () => {
    expect(() => figures.codebookUsage({ counts: [1, -1] })).toThrow(/counts\[1\] = -1/);
    expect(() => figures.codebookUsage({ counts: [1, 2], perLayer: [[1]] })).toThrow(/perLayer\[0\] has 1 codes but counts has 2/);
    expect(() => figures.codebookUsage({ counts: [] })).toThrow(/non-empty/);
  });

  it('trainingCurves: one panel per numeric metric, one trace per run', () => {
    const a = [{ step: 1, loss: 2, recon: 1, time: 5 }, { step: 2, loss: 1, recon: 0.5, time: 6 }];
    const b = [{ step: 1, loss: 3 }];
    const fig = figures.trainingCurves({ a, b });
    expect(fig.data).toHaveLength(4); // (loss, recon) x (a, b)
    expect(fig.data.map((d) => d.yaxis)).toEqual(['y', 'y', 'y2', 'y2']);
    expect((fig.data[0] as { y: number[] }).y).toEqual([2, 1]);
    expect(fig.layout.yaxis).toMatchObject({ type: 'log', title: { text: 'loss (log)' } }); // a loss spans decades
    expect(fig.layout.yaxis2).toMatchObject({ type: 'log' }); // reconstruction error too
    expect((fig.layout.title as { text: string }).text).toBe('Training curves: loss, recon over 2 steps (2 runs)');
    expect(() => figures.trainingCurves([])).toThrow(/no rows/);
    expect(() => figures.trainingCurves([{ step: 1 }])).toThrow(/no numeric metrics/);
  });

  it('perplexityAndDeadCodes uses a second axis and rejects rows without the metrics', () => {
    const fig = figures.perplexityAndDeadCodes([{ step: 0, perplexity: 10, deadCodes: 4 }, { step: 1, perplexity: 20, deadCodes: 1 }]);
    expect(fig.data[1].yaxis).toBe('y2');
    expect(() => figures.perplexityAndDeadCodes([{ step: 0, loss: 1 }])).toThrow(/perplexity/);
  });

  it('tokenGrid: one row per layer, padded, hover names tensor and offset', () => {
    const pos = (layer: number, chunk: number, offset: number) => ({ layer, layers: 2, role: 'kernel', tensor: `l${layer}.weight`, offset, chunk });
    const chunks: TokenChunk[] = [
      { position: pos(0, 0, 0), codes: [5, 6] }, { position: pos(0, 1, 8), codes: [7, 8] }, { position: pos(1, 2, 0), codes: [1, 2] },
    ];
    const fig = figures.tokenGrid(chunks);
    const t = fig.data[0] as { z: Array<Array<number | null>>; text: string[][] };
    // categorical: hashed colour indices, no colour bar; neighbouring ids do not get neighbouring colours
    expect(t.z.map((r) => r.map((v) => v === null))).toEqual([[false, false, false, false], [false, false, true, true]]);
    expect(new Set(t.z[0]).size).toBeGreaterThan(1);
    expect(fig.data[0].showscale).toBe(false);
    expect(t.text[0][0]).toMatch(/^code 5<br>layer 0/);
    expect(t.text[0][2]).toContain('l0.weight');
    expect(t.text[0][2]).toContain('offset 8');
  });

  it('weightHistograms: one histogram per layer holding all its values', () => {
    const fig = figures.weightHistograms([
      { name: 'a.w', layer: 0, role: 'kernel', values: new Float32Array([1, 2, 3]) },
      { name: 'a.b', layer: 0, role: 'bias', values: [0] },
      { name: 'b.w', layer: 1, role: 'kernel', values: [4, 5] },
    ]);
    expect(fig.data.map((d) => (d.x as number[]).length)).toEqual([4, 2]);
    expect(figures.weightHistograms([{ name: 'a.w', layer: 0, role: 'kernel', values: [1] }, { name: 'a.b', layer: 0, role: 'bias', values: [2] }], { roles: ['bias'] }).data).toHaveLength(1);
    expect(() => figures.weightHistograms([], {})).toThrow(/no weight tensors/);
  });

  it('compareWeights: differences and rmse, strided to maxPoints, lengths checked', () => {
    const original = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const generated = original.map((v) => v + 0.5);
    const fig = figures.compareWeights({ original, generated }, { maxPoints: 100 });
    const diff = fig.data[2] as { y: number[]; name: string; x: number[] };
    expect(diff.x.length).toBeLessThanOrEqual(100);
    diff.y.forEach((v) => expect(v).toBeCloseTo(0.5, 5));
    expect(diff.name).toContain('rmse 5.00e-1');
    expect(() => figures.compareWeights({ original, generated: [1] })).toThrow(/generated has 1 values but original has 1000/);
    expect(() => figures.compareWeights({ original })).toThrow(/reconstructed and\/or generated/);
  });

  it('evalTable and accuracyComparison format the rows', () => {
    const rows = [{ task: 'mnist', pretrained: 0.97123456, generated: 0.95 }, { task: 'fashion', pretrained: 0.88, generated: 0.8 }];
    const t = figures.evalTable(rows).data[0] as { cells: { values: string[][] } };
    expect(t.cells.values[1]).toEqual(['0.9712', '0.8800']);
    const bars = figures.accuracyComparison(rows);
    expect(bars.data.map((d) => d.name)).toEqual(['pretrained', 'generated']);
    const withChance = figures.accuracyComparison([{ ...rows[0], classes: 10 }, { ...rows[1], chance: 0.5 }]);
    expect(withChance.data.map((d) => d.name)).toEqual(['pretrained', 'generated', 'chance']);
    // one line per bar group, spanning the group (category i covers i - 0.5 .. i + 0.5 on the hidden axis x2)
    expect(withChance.data[2]).toMatchObject({ xaxis: 'x2', x: [-0.4, 0.4, null, 0.6, 1.4, null], y: [0.1, 0.1, null, 0.5, 0.5, null] });
    expect(withChance.layout.xaxis2).toMatchObject({ overlaying: 'x', range: [-0.5, 1.5], visible: false });
    expect(withChance.layout.xaxis).toMatchObject({ range: [-0.5, 1.5] });
    expect(withChance.layout.yaxis).toMatchObject({ title: { text: 'test accuracy (fraction)' }, automargin: true });
    expect(() => figures.evalTable([])).toThrow(/no rows/);
  });
});
