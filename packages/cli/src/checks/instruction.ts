import * as fs from 'node:fs';
import { checkInstruction, escapeControl } from '@igpg/core';
import { UsageError } from '../errors';
import { checkFileFlag } from './paths';

/**
 * Longest instruction accepted, in characters. Instructions are task descriptions ("classify handwritten digits
 * 0 to 4"); the encoder hashes words, so more text adds nothing but cost. Longer text: a usage error.
 */
const MAX_INSTRUCTION_CHARS = 10_000;

const shown = (s: string) => `"${escapeControl(s.length > 40 ? `${s.slice(0, 37)}...` : s)}"`;

/**
 * The instruction from `--instruction <text>` or `--instruction-file <file>` (for text too long for one argument:
 * Linux caps an argument at 128 KiB), checked: one of the two, within the length limit, with words in it.
 * `support`: the command can condition on a dataset's support set instead (`generate`); `given` when it has one
 * (`--dataset`), and then no instruction, or an empty one, is allowed and comes back as '' (the support set alone
 * conditions the generator); `possible` names that way out in the error.
 */
export function readInstructionFlags(opts: { instruction?: string; instructionFile?: string }, support: 'given' | 'possible' | 'none' = 'none'): string {
  const hint = support === 'possible' ? ', or give --dataset <task> alone to generate from its support images' : '';
  if (opts.instruction !== undefined && opts.instructionFile !== undefined) throw new UsageError('--instruction and --instruction-file both given: give one of them.');
  let text: string;
  let flag: string;
  if (opts.instructionFile !== undefined) {
    flag = `--instruction-file ${opts.instructionFile}`;
    checkFileFlag('--instruction-file', opts.instructionFile);
    const size = fs.statSync(opts.instructionFile).size;
    if (size > 4 * MAX_INSTRUCTION_CHARS) throw new UsageError(`${flag}: ${size} bytes, over the ${MAX_INSTRUCTION_CHARS}-character instruction limit; shorten it.`);
    text = fs.readFileSync(opts.instructionFile, 'utf8').trim();
  } else if (opts.instruction !== undefined) {
    flag = '--instruction';
    text = opts.instruction.trim();
  } else if (support === 'given') {
    return '';
  } else {
    throw new UsageError(`no instruction: give --instruction "<what the network should do>" or --instruction-file <file>${hint}.`);
  }
  if (text.length > MAX_INSTRUCTION_CHARS) throw new UsageError(`${flag}: ${text.length} characters, over the ${MAX_INSTRUCTION_CHARS}-character limit; shorten it.`);
  if (!text && support === 'given') return '';
  if (!text) throw new UsageError(`${flag} is empty: describe the task, e.g. --instruction "classify MNIST digits"${hint}.`);
  try {
    // words outside terminal escape sequences: "\u001b[31m" alone is not an instruction
    checkInstruction(text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '));
  } catch {
    throw new UsageError(`${flag} ${shown(text)} has no words (letters or digits): describe the task, e.g. "classify MNIST digits".`);
  }
  return text;
}
