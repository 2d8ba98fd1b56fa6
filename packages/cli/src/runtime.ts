import type { Command } from 'commander';
import { initBackend, shutdownBackend, BACKEND_NAMES, type BackendInfo, type BackendName } from '@igpg/core';
import { registerBuiltinArchitectures } from '@igpg/architectures';
import { registerBuiltinDatasets } from '@igpg/datasets';
import { UsageError } from './errors';
import { keepOutputs, releaseFailedOutputs } from './checks/output';

/** Plugin modules that zoo workers load; the CLI registers the same ones in-process. */
export const BUILTIN_PLUGINS = ['@igpg/architectures', '@igpg/datasets'];

interface GlobalOptions {
  backend?: string;
  threads?: string;
  verbose?: boolean;
}

/** The global options of the root program, seen from any subcommand. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Register the built-in plugins (idempotent). */
function registerBuiltins(): void {
  registerBuiltinArchitectures();
  registerBuiltinDatasets();
}

/** Choose and start the compute backend from --backend/--threads (or $IGPG_BACKEND). */
export async function startBackend(cmd: Command, quiet = false): Promise<BackendInfo> {
  const g = globals(cmd);
  if (g.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(g.backend)) {
    throw new UsageError(`--backend ${g.backend}: unknown backend; choose one of ${BACKEND_NAMES.join(', ')}.`);
  }
  let threads: number | undefined;
  if (g.threads !== undefined) {
    threads = Number(g.threads);
    if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads ${g.threads}: must be a positive integer.`);
  }
  const info = await initBackend({ backend: g.backend as BackendName | undefined, threads });
  // On a terminal, or with --verbose; in logs and pipes stderr stays for errors (one line each, issue #16).
  if (!quiet && (g.verbose || process.stderr.isTTY)) process.stderr.write(`igpg: backend ${info.name} (${info.threads} thread${info.threads > 1 ? 's' : ''}${info.native ? `, ${info.native}` : ''})\n`);
  return info;
}

/** Wrap a command action: set up plugins, run it, always release the backend so the process exits. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    registerBuiltins();
    try {
      await fn(...args);
      keepOutputs();
    } catch (e) {
      releaseFailedOutputs(); // a failed run leaves no half-made output folder behind
      throw e;
    } finally {
      shutdownBackend();
    }
  };
}

/** Print a note for the user on stderr (nothing for an empty note). */
export function note(text: string): void {
  if (text) process.stderr.write(`igpg: ${text}\n`);
}

/** Print a result: JSON with --json, else the human text. */
export function emit(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}
