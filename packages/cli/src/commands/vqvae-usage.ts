import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { Canonicalizer, codeUsage, encodeNetwork, loadVqvae, loadZooNetworks, writeFileAtomic } from '@igpg/core';
import { UsageError } from '../errors';
import { action, emit, startBackend } from '../runtime';

/**
 * `igpg vqvae usage --vqvae <dir> --zoo <dir>`: how often a trained VQ-VAE uses each code on the networks it was
 * trained on (the zoo's training checkpoints), written as one row of the codebook-usage.jsonl that training writes
 * ({ step, codeCounts }), so the dashboard's heatmap can show a bundle whose training snapshots were not kept (the
 * shipped runs/default). The row says it was computed after training (`posthoc`): it is the final model's usage
 * over the whole zoo, not a training-time window.
 */
export function registerVqvaeUsage(parent: Command): void {
  parent
    .command('usage')
    .description("count the codes a trained VQ-VAE gives the zoo's training networks; writes <vqvae>/codebook-usage.jsonl (as training does, marked post hoc)")
    .requiredOption('--vqvae <dir>', 'VQ-VAE folder (vqvae.json, canon.json), e.g. runs/default/vqvae')
    .requiredOption('--zoo <dir>', 'the zoo it was trained on')
    .option('--out <file>', 'where to write the row (default: <vqvae>/codebook-usage.jsonl, replaced)')
    .option('--json', 'print the summary as JSON')
    .action(action(async (opts: { vqvae: string; zoo: string; out?: string; json?: boolean }, cmd: Command) => {
      if (!fs.existsSync(path.join(opts.vqvae, 'vqvae.json'))) throw new UsageError(`--vqvae ${opts.vqvae}: no vqvae.json there (train one with \`igpg vqvae train\`).`);
      await startBackend(cmd);
      const { vq, tokenizer } = loadVqvae(opts.vqvae);
      try {
        const canon = fs.existsSync(path.join(opts.vqvae, 'canon.json')) ? Canonicalizer.load(opts.vqvae) : undefined;
        // the training set of the tokenizer stage: the zoo's training checkpoints, every epoch
        const networks = loadZooNetworks(opts.zoo);
        const encoded = networks.map((n) => encodeNetwork({ vq, tokenizer, canon }, n.entry.architecture, n.infos, n.flat));
        const size = vq.config.codebookSize * Math.max(1, vq.config.kinds.length); // global code ids, as training counts them
        const u = codeUsage(encoded, size);
        const steps = readSteps(opts.vqvae);
        const out = opts.out ?? path.join(opts.vqvae, 'codebook-usage.jsonl');
        const row = {
          time: Date.now(), ...(steps !== undefined && { step: steps }), codeCounts: Array.from(u.counts),
          posthoc: `computed after training by \`igpg vqvae usage\`: the final VQ-VAE's codes for the ${networks.length} training networks of ${opts.zoo}`,
        };
        writeFileAtomic(out, JSON.stringify(row) + '\n');
        const summary = { out, networks: networks.length, codes: u.counts.reduce((a, b) => a + b, 0), used: u.used, codebookSize: size, perplexity: u.perplexity };
        emit(opts.json, summary, () => `${summary.used} of ${size} codes used on ${summary.networks} networks (perplexity ${u.perplexity.toFixed(1)}); wrote ${out}`);
      } finally {
        vq.dispose();
      }
    }));
}

/** The training steps of the run, from the tokenizer stage's stage.json; undefined when it is not there. */
function readSteps(dir: string): number | undefined {
  try {
    const steps = JSON.parse(fs.readFileSync(path.join(dir, 'stage.json'), 'utf8'))?.vqvae?.steps;
    return Number.isInteger(steps) ? steps : undefined;
  } catch {
    return undefined;
  }
}
