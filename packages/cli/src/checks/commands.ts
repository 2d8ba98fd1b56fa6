import { checkInstructionEncoderSpec, unpackZoo, type ArchitectureRef } from '@igpg/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { checkArchFlag, checkDatasetFlag } from './architecture';
import { checkPriorSections, checkTokenizerSections } from './configs';
import { readInstructionFlags } from './instruction';
import { prepareOutput } from './output';
import { checkFolderFlag, checkOutFlag } from './paths';

// Each command's flags checked in one call, before the backend starts or anything is read at length or written:
// every bad input gets its one-line answer in well under a second (issue #16).

const VQVAE_HINT = 'train one with `igpg vqvae train` (or run `igpg demo`)';
export const GENERATOR_HINT = 'run `igpg demo` to train the default one, or `igpg vqvae train` and `igpg prior train` into <dir>/vqvae and <dir>/prior';
const ZOO_HINT = 'build one with `igpg zoo build`';

/** A zoo folder, unpacked first when it ships packed (`<dir>.tar.gz`, as zoo/default does). */
export function checkZooFlag(flag: string, dir: string): void {
  try {
    unpackZoo(dir);
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message}`);
  }
  checkFolderFlag(flag, dir, 'manifest.json', ZOO_HINT);
}

const GENERATE_FORMATS = ['safetensors', 'tfjs'];

/** `igpg generate`: instruction, formats, layout, architecture + dataset + size, generator bundle, --out. */
export function checkGenerateFlags(opts: {
  instruction?: string; instructionFile?: string; arch: ArchitectureRef; dataset?: string; format: string; layout: string;
  generator: string; out?: string; maxParams?: number;
}): { instruction: string; formats: string[] } {
  const instruction = readInstructionFlags(opts, opts.dataset ? 'given' : 'possible');
  const formats = opts.format.split(',').map((f) => f.trim());
  const bad = formats.find((f) => !GENERATE_FORMATS.includes(f));
  if (bad !== undefined) throw new UsageError(`--format ${JSON.stringify(bad)}: unknown format; choose from ${GENERATE_FORMATS.join(', ')}.`);
  if (opts.layout !== 'tfjs' && opts.layout !== 'torch') throw new UsageError(`--layout ${opts.layout}: choose tfjs or torch.`);
  checkArchFlag(opts.arch, checkDatasetFlag(opts.dataset), opts.maxParams);
  checkGeneratorFlag(opts.generator);
  if (opts.out !== undefined) prepareOutput('--out', opts.out, { resumable: false });
  return { instruction, formats };
}

type Section = Record<string, unknown> | undefined;

/** A generator bundle: a folder whose config.json is a bundle index (a component folder has a config.json too). */
function checkGeneratorFlag(dir: string): void {
  checkFolderFlag('--generator', dir, 'config.json', GENERATOR_HINT);
  let format: unknown;
  try {
    format = (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { format?: unknown })?.format;
  } catch {
    format = undefined;
  }
  if (format !== 'igpg-generator') {
    const inside = fs.existsSync(path.join(dir, 'checkpoint.json')) || fs.existsSync(path.join(dir, 'vqvae.json')) ? ' (it looks like one component of a bundle: give the folder above it)' : '';
    throw new UsageError(`--generator ${dir}: ${path.join(dir, 'config.json')} is not a generator bundle index${inside}; ${GENERATOR_HINT}`);
  }
}

/** `igpg vqvae train`: zoo folder, config sections (with overrides), model size, --out. Returns a note or ''. */
export function checkTokenizerTrainFlags(opts: { zoo: string; out: string; config?: string; resume: boolean; maxParams?: number }, cfg: { tokenizer?: Section }, vqvae: Section): string {
  checkZooFlag('--zoo', opts.zoo);
  checkOutFlag('--out', opts.out);
  checkTokenizerSections(opts.config ? `--config ${opts.config}` : 'tokenizer config', cfg.tokenizer, vqvae, opts.maxParams);
  return prepareOutput('--out', opts.out, { resume: opts.resume });
}

/** `igpg prior train`: zoo and VQ-VAE folders, config sections (with overrides), model size, --out. Returns a note or ''. */
export function checkPriorTrainFlags(opts: { zoo: string; vqvae: string; out: string; config?: string; resume: boolean; maxParams?: number }, cfg: { prior?: Section; supportK?: unknown; instructionEncoder?: unknown }, train: Section): string {
  checkZooFlag('--zoo', opts.zoo);
  if (cfg.instructionEncoder !== undefined) {
    try { checkInstructionEncoderSpec(cfg.instructionEncoder); } catch (e) { throw new UsageError(`--config ${opts.config}: ${(e as Error).message.split('\n').join('; ')}`); }
  }
  checkFolderFlag('--vqvae', opts.vqvae, 'vqvae.json', VQVAE_HINT);
  checkOutFlag('--out', opts.out);
  checkPriorSections(opts.config ? `--config ${opts.config}` : 'prior config', cfg.prior, train, cfg.supportK, opts.maxParams);
  const notes = [prepareOutput('--out', opts.out, { resume: opts.resume })];
  // supportK 0 is allowed (an instruction-only prior), but then the support images carry nothing: say so up front
  if (cfg.supportK === 0) notes.push('supportK is 0: the prior learns no dataset condition, so generating from support images alone (no instruction) will be refused; set "supportK": 5 to condition on the dataset');
  return notes.filter(Boolean).join('\nigpg: ');
}

/** `igpg eval`: the zoo and generator folders exist and are the right kind; the report folder can be written. */
export function checkEvalFlags(opts: { zoo: string; generator: string; out: string }): void {
  checkZooFlag('--zoo', opts.zoo);
  checkGeneratorFlag(opts.generator);
  prepareOutput('--out', opts.out, { resumable: false });
}

/** `igpg demo`: its zoo and runs folders are outputs (built when missing), so they must be writable folders. */
export function checkDemoFlags(opts: { zoo: string; runs: string }): void {
  checkOutFlag('--zoo', opts.zoo);
  checkOutFlag('--runs', opts.runs);
}
