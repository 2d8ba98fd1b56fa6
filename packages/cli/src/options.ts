import * as fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { checkInputPath, DEFAULT_MAX_PARAMS } from '@igpg/core';
import { UsageError } from './errors';

/** Config files are small; a huge one is a mistake (a weights file passed as --config?), refused before reading. */
const MAX_JSON_BYTES = 16_000_000;

/** The --max-params flag, shared by every command that builds or trains a model (issue #16: bounds before allocation). */
export const MAX_PARAMS_FLAG = ['--max-params <n>', `largest model allowed, in parameters (default ${DEFAULT_MAX_PARAMS.toLocaleString('en-US')}, about 320 MB to train)`] as const;

/** commander argument parsers that reject bad values with a message naming the fix. */
export function parseIntArg(name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be an integer, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function parseFloatArg(name: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}".`);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

/** A comma-separated list of non-negative integers ("0,1,10"). */
export function parseIntListArg(name: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((p) => p.trim());
    if (!parts.length || parts.some((p) => !/^\d+$/.test(p))) throw new InvalidArgumentError(`${name} must be comma-separated non-negative integers such as "0,1,10", got "${value}".`);
    return parts.map(Number);
  };
}

/** Read a JSON file given on the command line; a missing or malformed file is a usage error naming the flag. */
export function readJsonArg<T = unknown>(flag: string, file: string): T {
  try {
    checkInputPath(file, 'file');
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message}.`);
  }
  if (fs.statSync(file).size > MAX_JSON_BYTES) throw new UsageError(`${flag} ${file}: ${fs.statSync(file).size} bytes; a config is at most ${MAX_JSON_BYTES / 1e6} MB.`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UsageError(`${flag} ${file}: not valid JSON (${(e as Error).message}).`);
  }
}

/** Accept either inline JSON (`'{"hidden":[32]}'`) or a path to a JSON file. */
export function readJsonOrInline<T = unknown>(flag: string, value: string): T {
  const v = value.trim();
  if (v.startsWith('{') || v.startsWith('[')) {
    try {
      return JSON.parse(v) as T;
    } catch (e) {
      throw new UsageError(`${flag}: not valid JSON (${(e as Error).message}).`);
    }
  }
  return readJsonArg<T>(flag, value);
}
