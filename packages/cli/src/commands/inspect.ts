import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { escapeControl, readCheckpointMeta, readManifest, readSafetensors, readJson, unpackZoo, type TfjsModelJson } from '@igpg/core';
import { UsageError } from '../errors';
import { action, emit } from '../runtime';
import { formatZooSummary, summarizeZoo, table } from '../summaries';

interface TensorSummary { name: string; shape: number[]; mean: number; std: number; min: number; max: number }

function tensorStats(name: string, shape: number[], data: Float32Array): TensorSummary {
  let sum = 0, sq = 0, min = Infinity, max = -Infinity;
  for (const v of data) {
    sum += v;
    sq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / data.length;
  return { name, shape, mean, std: Math.sqrt(Math.max(0, sq / data.length - mean * mean)), min, max };
}

const fmt = (x: number) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(4));

function tensorsText(meta: Record<string, string>, tensors: TensorSummary[]): string {
  const params = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  // metadata is free text from the file (instructions): escaped, so an ESC sequence cannot drive the terminal
  const metaLines = Object.entries(meta).map(([k, v]) => `  ${escapeControl(k)}: ${escapeControl(v.length > 120 ? v.slice(0, 117) + '...' : v)}`);
  return [`${tensors.length} tensors, ${params.toLocaleString('en-US')} parameters`, ...(metaLines.length ? ['metadata:', ...metaLines] : []),
    table(['tensor', 'shape', 'mean', 'std', 'min', 'max'], tensors.map((t) => [t.name, `[${t.shape.join(',')}]`, fmt(t.mean), fmt(t.std), fmt(t.min), fmt(t.max)]))].join('\n');
}

/** Summarise a safetensors file, a tfjs model.json, a zoo folder or a training checkpoint folder. */
function inspectPath(target: string): { kind: string; summary: unknown; text: string } {
  unpackZoo(target); // a zoo shipped packed (<target>.tar.gz)
  if (!fs.existsSync(target)) throw new UsageError(`${target}: no such file or folder.`);
  const stat = fs.statSync(target);
  if (stat.isDirectory()) {
    if (fs.existsSync(path.join(target, 'manifest.json'))) {
      const summary = summarizeZoo(readManifest(target, { verify: true }).entries);
      return { kind: 'zoo', summary, text: `zoo ${target} (all weight files verified: size, sha256, finite values)\n${formatZooSummary(summary)}` };
    }
    const meta = readCheckpointMeta(target);
    if (meta) {
      const text = [`checkpoint ${target}`, `  kind: ${meta.kind}  step: ${meta.step}  format: ${meta.format} v${meta.version}  saved: ${meta.savedAt}`,
        `  variables: ${meta.variables.length}`, `  config: ${JSON.stringify(meta.config)}`].join('\n');
      return { kind: 'checkpoint', summary: meta, text };
    }
    if (fs.existsSync(path.join(target, 'model.json'))) return inspectPath(path.join(target, 'model.json'));
    throw new UsageError(`${target}: not a zoo (no manifest.json), a checkpoint (no checkpoint.json) or a tfjs model folder (no model.json).`);
  }
  if (target.endsWith('.safetensors')) {
    const { tensors, metadata } = readSafetensors(target);
    const stats = Object.entries(tensors).map(([n, t]) => tensorStats(n, t.shape, t.data));
    return { kind: 'safetensors', summary: { metadata, tensors: stats }, text: `safetensors ${target}\n${tensorsText(metadata, stats)}` };
  }
  if (path.basename(target) === 'model.json') {
    const model = readJson<TfjsModelJson>(target);
    const weights = model.weightsManifest?.flatMap((g) => g.weights) ?? [];
    return { kind: 'tfjs', summary: model, text: `tfjs model ${target}\n${table(['tensor', 'shape', 'dtype'], weights.map((w) => [w.name, `[${w.shape.join(',')}]`, w.dtype]))}` };
  }
  throw new UsageError(`${target}: unknown file type; inspect takes a .safetensors file, a model.json, a zoo folder or a checkpoint folder.`);
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('print a summary of a checkpoint, zoo or weight file (.safetensors, model.json)')
    .argument('<path>', 'file or folder to inspect')
    .option('--json', 'print the summary as JSON')
    .action(action(async (target: string, opts: { json?: boolean }) => {
      const r = inspectPath(target);
      emit(opts.json, { kind: r.kind, summary: r.summary }, () => r.text);
    }));
}
