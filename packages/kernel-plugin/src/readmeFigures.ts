import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonl } from '@igpg/core';
import { summarizeCodebook, type CodebookViewData } from './codebookView';
import * as figures from './figures';
import type { EvalRow, Figure, MetricsRow } from './types';

/**
 * Inputs of the README figures, as the pipeline writes them:
 * - results: JSON, `{ rows: [{ task, pretrained, generated, ... }] }` or the rows array itself -> accuracy.png
 * - metrics: VQ-VAE training metrics JSONL (loss, recon, perplexity, deadCodes, codeCounts?) -> training.png, perplexity.png
 * - codes:   JSON CodebookViewData `{ codebookSize, chunks: [{ network, task, position, codes }] }` -> token-grid.png, codebook-usage.png
 */
export interface ReadmeFigureInputs {
  results?: string;
  metrics?: string;
  codes?: string;
}

/** Default input paths, relative to the repository root. */
export const README_FIGURE_DEFAULTS: Required<ReadmeFigureInputs> = {
  results: 'report/results.json',
  metrics: 'report/vqvae-metrics.jsonl',
  codes: 'report/codes.json',
};

const HOW: Record<keyof ReadmeFigureInputs, string> = {
  results: 'written by the evaluation step of the pipeline (rows of { task, pretrained, generated })',
  metrics: 'the metrics.jsonl of a VQ-VAE training run (pass --metrics runs/<run>/metrics.jsonl)',
  codes: 'the tokenized zoo: { codebookSize, chunks: [{ network, task, position, codes }] }',
};

/**
 * A row of `igpg eval`'s results.json (nested: pretrained.median, generated.mean, randomFinetuned["1"].mean, ...)
 * as the flat numbers the accuracy figure plots; flat rows pass through. Rows without generation are dropped.
 */
function flattenEvalRow(row: unknown): EvalRow | null {
  const r = row as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (!r || typeof r !== 'object') throw new Error('each row must be an object');
  if (typeof r.pretrained !== 'object' || r.pretrained === null) return r as EvalRow;
  if (!r.generated) return null;
  return {
    task: `${r.task} · ${r.architecture?.label ?? r.architecture?.name ?? ''}`,
    pretrained: r.pretrained.median,
    generated: r.generated.mean,
    ...(r.randomFinetuned?.['1'] ? { random: r.randomFinetuned['1'].mean } : {}),
    ...(r.generatedFinetuned?.['1'] ? { finetuned: r.generatedFinetuned['1'].mean } : {}),
    ...(r.baselines ? { 'noise-added copy': r.baselines.noisy, 'aligned-zoo mean': r.baselines.alignedMean ?? undefined, 'nearest checkpoint': r.baselines.nearest } : {}),
    ...(typeof r.chance === 'number' ? { chance: r.chance } : {}),
  };
}

/**
 * Build the README figures from whichever inputs exist. Returns the figures by file name (no extension) and,
 * for each missing input, a message naming it and what writes it. Malformed inputs throw with the file name.
 */
export function buildReadmeFigures(inputs: ReadmeFigureInputs, root = process.cwd()): { figs: Record<string, Figure>; missing: string[] } {
  const paths = { results: inputs.results ?? README_FIGURE_DEFAULTS.results, metrics: inputs.metrics ?? README_FIGURE_DEFAULTS.metrics, codes: inputs.codes ?? README_FIGURE_DEFAULTS.codes };
  const figs: Record<string, Figure> = {};
  const missing: string[] = [];
  const resolve = (k: keyof ReadmeFigureInputs) => {
    const p = path.resolve(root, paths[k]);
    if (fs.existsSync(p)) return p;
    missing.push(`missing ${k} input ${p}: ${HOW[k]}`);
    return null;
  };
  const wrap = <T>(file: string, fn: () => T): T => {
    try { return fn(); } catch (e) { throw new Error(`${file}: ${(e as Error).message}`); }
  };

  const results = resolve('results');
  if (results) {
    wrap(results, () => {
      const json = JSON.parse(fs.readFileSync(results, 'utf8'));
      const given: unknown[] = Array.isArray(json) ? json : json.rows;
      if (!Array.isArray(given)) throw new Error('expected an array of rows or { rows: [...] }');
      const rows = given.map(flattenEvalRow).filter((r): r is EvalRow => r !== null);
      const label = rows.length && 'task' in rows[0] ? 'task' : Object.keys(rows[0] ?? {})[0];
      figs.accuracy = figures.accuracyComparison(rows, { label, series: ['pretrained', 'generated', 'noise-added copy', 'aligned-zoo mean', 'random', 'finetuned'].filter((k) => rows.some((r) => typeof r[k] === 'number')) });
    });
  }

  const metrics = resolve('metrics');
  if (metrics) {
    wrap(metrics, () => {
      const rows = readJsonl<MetricsRow>(metrics);
      const keys = ['loss', 'recon', 'perplexity', 'usedFraction', 'used'].filter((k) => rows.some((r) => typeof r[k] === 'number'));
      figs.training = figures.trainingCurves(rows, { keys: keys.length ? keys : undefined, title: `VQ-VAE training (${path.basename(metrics)}): ${(keys.length ? keys : figures.numericKeys(rows)).join(', ')} over ${rows.length.toLocaleString('en-US')} logged steps` });
      if (rows.some((r) => typeof r.perplexity === 'number')) figs.perplexity = figures.perplexityAndDeadCodes(rows);
    });
  }

  const codes = resolve('codes');
  if (codes) {
    wrap(codes, () => {
      const data = JSON.parse(fs.readFileSync(codes, 'utf8')) as CodebookViewData;
      const s = summarizeCodebook(data);
      figs['codebook-usage'] = figures.codebookUsage({ counts: s.counts, perLayer: s.perLayer, layerNames: s.layers.map((l) => `layer ${l}`) });
      const first = data.chunks[0]?.network;
      const net = data.chunks.filter((c) => c.network === first);
      figs['token-grid'] = figures.tokenGrid(net, { title: `Codes of ${first ?? 'a network'} (${net.length} chunks; colour = code id)` });
    });
  }
  return { figs, missing };
}
