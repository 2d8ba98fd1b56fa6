import * as os from 'node:os';
import type { NativeAddon } from './native';

/*
 * How many threads the native sgemm runs (default 2; $IGPG_BLAS_THREADS or initBackend's `blasThreads`
 * override it). The addon cuts every output into tiles fixed by the shape and computes each tile with one
 * single-threaded OpenBLAS call, so the bits are the same for any count (native/igpg_native.c; issue 13).
 * Its threads sleep while idle and claim tiles as they go, so a thread the scheduler delays only takes fewer
 * tiles. 'auto' still drops to 1 thread when other processes fill the cores (re-chosen at most once a second
 * from the 1-minute load average: all `max` threads while the load that is not this process's own, load −
 * current threads, leaves a core free), which saves the cost of waking a helper that cannot run.
 */

/** The default thread count of the native sgemm: both cores of the machine it was tuned on. */
export const DEFAULT_BLAS_THREADS = 2;

const GLOBAL = Symbol.for('igpg.blasThreads');
type State = { mode: 'auto' | number; max: number; current: number; checkedAt: number; addon: NativeAddon | null };

function state(): State {
  const g = globalThis as { [GLOBAL]?: State };
  g[GLOBAL] ??= { mode: 'auto', max: 1, current: 1, checkedAt: 0, addon: null };
  return g[GLOBAL];
}

/** Parse a BLAS thread setting ('auto' or a positive integer); `source` names it in errors. */
export function parseBlasThreads(value: string | number, source: string): 'auto' | number {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${source}: BLAS threads must be 'auto' or a positive integer, got '${value}'`);
  return n;
}

/** Threads a machine with this load should give the BLAS, from `max` (pure; exported for tests). */
export function chooseBlasThreads(max: number, load1: number, current: number, cores: number): number {
  if (max <= 1) return 1;
  const others = Math.max(0, load1 - current);
  return others <= cores - max + 0.5 ? max : 1;
}

/** Configure the BLAS threads: a fixed count, or 'auto' (up to `max`). */
export function configureBlasThreads(addon: NativeAddon | null, mode: 'auto' | number, max: number): number {
  const s = state();
  Object.assign(s, { addon, mode, max, checkedAt: 0 });
  s.current = mode === 'auto' ? max : mode;
  addon?.setThreads(s.current);
  if (mode === 'auto') tuneBlasThreads();
  return s.current;
}

/** In 'auto' mode, re-choose the thread count (at most once a second); returns the count in use. */
export function tuneBlasThreads(now = Date.now()): number {
  const s = state();
  if (s.mode !== 'auto' || s.addon === null || now - s.checkedAt < 1000) return s.current;
  s.checkedAt = now;
  const next = chooseBlasThreads(s.max, os.loadavg()[0], s.current, os.cpus().length);
  if (next !== s.current) {
    s.addon.setThreads(next);
    s.current = next;
  }
  return s.current;
}

/** The BLAS threading now: mode ('auto' or fixed) and the count in use. */
export function blasThreads(): { mode: 'auto' | number; current: number } {
  const s = state();
  return { mode: s.mode, current: s.current };
}
