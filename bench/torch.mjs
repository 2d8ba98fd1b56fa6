// The PyTorch side of the bench (issue 13, item 1): each suite runs the same work in PyTorch (bench/<name>_torch.py,
// Debian's python3-torch on /usr/bin/python3, fp32, CPU) in the same bench run, alternating with ours, at 1 and 2
// PyTorch threads; the faster thread count is the baseline. When torch is missing the suites say so and skip it.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The interpreter with torch (ENV-NOTES: the python3 first on PATH has none); IGPG_BENCH_PYTHON overrides it. */
export const PYTHON = process.env.IGPG_BENCH_PYTHON || '/usr/bin/python3';
export const TORCH_THREADS = [1, 2];

let probed;
/** { version } when PYTHON imports torch, else { skipped: why } (probed once per process). */
export function torchInfo() {
  if (!probed) {
    try {
      probed = { version: execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 }).trim() };
    } catch (e) {
      probed = { skipped: `PyTorch side skipped: ${PYTHON} cannot import torch (${String(e.stderr || e.message).trim().split('\n').pop()}); install Debian's python3-torch` };
    }
  }
  return probed;
}

/**
 * Run bench/<script> with `args` at `threads` torch threads; the parsed JSON of its last stdout line
 * ({ msPerStep, bestMs, medianMs, ... }), or { error } with the script's last stderr line.
 */
export function runTorch(script, args, { threads = 1, steps = 4, warmup = 1, timeoutMs = 300_000 } = {}) {
  try {
    const out = execFileSync(PYTHON, [join(here, script), '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), ...args], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, cwd: here,
      // read at start-up: OpenMP and the OpenBLAS that Debian's torch calls (libblas.so.3) use the threads we set
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
    });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    return { error: String(e.stderr || e.message).trim().split('\n').pop() };
  }
}

/** The `uptime` load averages now (1, 5, 15 min): the cores are shared, so every result carries them. */
export const uptime = () => os.loadavg().map((l) => +l.toFixed(2));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Mean of a runTorch result's timed steps (warm-up excluded). */
export const meanStep = (r) => r.msPerStep.reduce((a, b) => a + b, 0) / r.msPerStep.length;
const range = (xs) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

/**
 * Alternate `rounds` times: ours() (ms per unit of work, e.g. per step) then the PyTorch script at 1 and 2 threads
 * (torch(threads) -> runTorch's result; by default its mean ms over the timed steps, as ours should be). Returns the times of every round, the baseline (the
 * thread count with the lower median), and speedup = PyTorch ms / our ms (> 1: we are faster): the median and the
 * range over rounds (each round's ratio to its own PyTorch run).
 * @example const side = await sideBySide({ rounds: 2, ours: () => ourMs(), torch: (t) => runTorch('gpt_step_torch.py', args, { threads: t }) });
 */
export async function sideBySide({ rounds = 2, ours, torch, perUnit = meanStep }) {
  const info = torchInfo();
  const oursMs = [], loads = [];
  const torchMs = Object.fromEntries(TORCH_THREADS.map((t) => [t, []]));
  const errors = [];
  for (let r = 0; r < rounds; r++) {
    loads.push(uptime());
    oursMs.push(await ours(r));
    if (info.skipped) continue;
    for (const t of TORCH_THREADS) {
      const res = torch(t, r);
      if (res.error) errors.push(`${t} thread(s): ${res.error}`);
      else torchMs[t].push(perUnit(res));
    }
  }
  loads.push(uptime());
  const result = { rounds, oursMs: oursMs.map((m) => +m.toFixed(2)), oursMedianMs: +median(oursMs).toFixed(2), uptime: loads, torch: info };
  const ok = TORCH_THREADS.filter((t) => torchMs[t].length === rounds);
  if (errors.length) result.torchErrors = errors;
  if (!ok.length) return { ...result, speedup: null, note: info.skipped ?? `PyTorch side failed: ${errors[0]}` };
  for (const t of TORCH_THREADS) result[`torch${t}Ms`] = torchMs[t].map((m) => +m.toFixed(2));
  const baseline = ok.reduce((a, b) => (median(torchMs[b]) < median(torchMs[a]) ? b : a));
  const ratios = oursMs.map((m, r) => torchMs[baseline][r] / m);
  return {
    ...result, baselineThreads: baseline, torchMedianMs: +median(torchMs[baseline]).toFixed(2),
    speedup: +(median(torchMs[baseline]) / median(oursMs)).toFixed(2), speedupRange: range(ratios),
  };
}
