import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReadmeFigures } from './readmeFigures';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { runDemoVqvae } from './dashboard/demoRun';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-readme-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('README figures', () => {
  it('names each missing input and what writes it', () => {
    const { figs, missing } = buildReadmeFigures({ results: undefined }, dir);
    expect(figs).toEqual({});
    expect(missing).toHaveLength(3);
    expect(missing[0]).toContain(path.join(dir, 'report/results.json'));
    expect(missing[1]).toMatch(/metrics input .*vqvae-metrics\.jsonl: the metrics\.jsonl of a VQ-VAE training run/);
  });

  it('builds the figures from the inputs that exist (a real metrics log) and rejects malformed ones by file', async () => {
    registerBuiltinArchitectures();
    const { metrics } = await runDemoVqvae({ out: path.join(dir, 'vqvae'), zoo: path.resolve(__dirname, '../../../zoo/default'), steps: 10 });
    const results = path.join(dir, 'results.json');
    fs.writeFileSync(results, JSON.stringify({ rows: [{ task: 'mnist', pretrained: 0.9, generated: 0.8 }] }));
    const { figs, missing } = buildReadmeFigures({ metrics, results }, dir);
    expect(Object.keys(figs).sort()).toEqual(['accuracy', 'perplexity', 'training']);
    expect(missing).toHaveLength(1);
    expect(figs.accuracy.data.map((d) => d.name)).toEqual(['pretrained', 'generated']);
    // igpg eval's nested rows: medians and means are plotted, rows without generation are dropped
    fs.writeFileSync(results, JSON.stringify({ rows: [
      { task: 'mnist:all', architecture: { name: 'mlp', label: 'mlp-16' }, pretrained: { median: 0.8, min: 0.7, max: 0.9, n: 3 }, generated: { mean: 0.5, best: 0.6, samples: [0.4, 0.6] },
        randomFinetuned: { 1: { mean: 0.3, best: 0.3, samples: [0.3] } }, generatedFinetuned: { 1: { mean: 0.7, best: 0.7, samples: [0.7] } } },
      { task: 'mnist:all', architecture: { name: 'mlp', label: 'mlp-16' }, pretrained: { median: 0.8, min: 0.7, max: 0.9, n: 3 }, generated: null },
    ] }));
    const nested = buildReadmeFigures({ results }, dir).figs.accuracy;
    expect(nested.data.map((d) => d.name)).toEqual(['pretrained', 'generated', 'random', 'finetuned']);
    expect(nested.data[1].y).toEqual([0.5]);
    fs.writeFileSync(results, '{"rows": 3}');
    expect(() => buildReadmeFigures({ results }, dir)).toThrow(/results\.json: expected an array of rows/);
  });

  it('turns a codes file into a token grid of its first network and a per-layer usage heatmap', () => {
    const codes = path.join(dir, 'codes.json');
    const pos = (layer: number, chunk: number) => ({ layer, layers: 2, role: 'kernel', tensor: `l${layer}.w`, offset: 0, chunk });
    fs.writeFileSync(codes, JSON.stringify({ codebookSize: 4, chunks: [
      { network: 'a', position: pos(0, 0), codes: [1] }, { network: 'a', position: pos(1, 1), codes: [2] }, { network: 'b', position: pos(0, 0), codes: [3] }] }));
    const { figs } = buildReadmeFigures({ codes }, dir);
    const grid = figs['token-grid'].data[0] as { z: number[][]; text: string[][] };
    expect(grid.text.map((r) => r[0].split('<br>')[0])).toEqual(['code 1', 'code 2']); // network a only (z holds hashed colours)
    expect((figs['codebook-usage'].data[1] as { z: number[][] }).z).toEqual([[0, 0.5, 0, 0.5], [0, 0, 1, 0]]) // per-layer shares;
  });
});
