// Generation with the shipped default bundle (runs/default) as a user runs it: `igpg generate` in a child process,
// default options (the bundle's 4 sampler candidates included), wall time, CPU time and peak RSS of networks of about
// 1M and 10M parameters; and the prior's decode speed (codes/s) with the native decode on and off
// (IGPG_NATIVE_DECODE=off). TARGETS (issues 10 and 13): 1M parameters in <= 10 s, 10M in <= 60 s under 2 GB.
// Env: GEN_BENCH_PAIRS alternating native/tfjs decode pairs (default 1); GEN_BENCH_SIZES (default "1m,10m").
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'packages/cli/dist/main.js');
// MLPs on 28x28 MNIST: 784·h + h + 10·h + 10 parameters.
const SIZES = {
  '1m': { hidden: 1344, params: 1_068_490 },
  '10m': { hidden: 12579, params: 10_000_315 },
};
const INSTRUCTION = 'classify handwritten digits';
const require = createRequire(import.meta.url);

/**
 * Decode speed in this process: codes/s of sampleCodes over the first `chunks` chunks of the 1M network's layout,
 * n = 4 rows (the default candidates), native decode and tfjs (median of 3 each, alternating).
 */
async function decodeSpeed(ctx, chunks) {
  const { core } = ctx;
  require(path.join(root, 'packages/architectures/dist/index.js')).registerBuiltinArchitectures();
  const be = ctx.backends.filter((b) => b.backend === 'wasm' && b.native).pop();
  if (!be) return [];
  await ctx.use(be);
  const g = await core.loadGenerator(path.join(root, 'runs/default'));
  try {
    const arch = core.resolveArchitecture({ name: 'mlp', spec: { inputShape: [28, 28, 1], classes: 10, hidden: [SIZES['1m'].hidden] } });
    const layout = { places: g.tokenizer.encodeLayout(arch.infos).positions.slice(0, chunks) };
    const cond = { instruction: INSTRUCTION, architecture: arch.condition };
    const opts = { n: 4, seed: 1, sampler: g.sampler };
    const codes = chunks * g.prior.config.codesPerChunk * opts.n;
    const times = { native: [], tfjs: [] };
    for (let r = 0; r < 3; r++) {
      for (const mode of ['native', 'tfjs']) {
        if (mode === 'tfjs') process.env.IGPG_NATIVE_DECODE = 'off';
        const t = performance.now();
        core.sampleCodes(g.prior, cond, layout, opts);
        times[mode].push((performance.now() - t) / 1000);
        delete process.env.IGPG_NATIVE_DECODE;
      }
    }
    return Object.entries(times).map(([mode, ts]) => {
      const s = ts.sort((a, b) => a - b)[1];
      return { what: `decode ${chunks} chunks x 4 rows`, decode: mode, codes, seconds: +s.toFixed(2), codesPerSec: Math.round(codes / s), load1: ctx.load() };
    });
  } finally {
    g.dispose();
  }
}

/** One `igpg generate` in a child under /usr/bin/time: wall s, CPU s, peak RSS MB. */
function generateOnce(hidden, env) {
  const arch = JSON.stringify({ name: 'mlp', spec: { inputShape: [28, 28, 1], classes: 10, hidden: [hidden] } });
  const args = ['-f', '%e %U %S %M', process.execPath, cli, 'generate', '--instruction', INSTRUCTION, '--arch', arch, '--dataset', 'mnist', '--generator', path.join(root, 'runs/default'), '--seed', '1', '--json'];
  const r = spawnSync('/usr/bin/time', args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`igpg generate failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [wall, user, sys, rssKb] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  const out = JSON.parse(r.stdout);
  return { wallSeconds: wall, cpuSeconds: +(user + sys).toFixed(2), peakRssMb: Math.round(rssKb / 1024), params: out.params, reported: out.seconds };
}

export async function run(ctx) {
  if (!existsSync('/usr/bin/time')) throw new Error('generate-bundle: needs /usr/bin/time (GNU time) for peak RSS');
  if (!existsSync(cli)) throw new Error('generate-bundle: build first (npm run build)');
  const pairs = Number(process.env.GEN_BENCH_PAIRS ?? 1);
  const sizes = (process.env.GEN_BENCH_SIZES ?? '1m,10m').split(',');
  const rows = await decodeSpeed(ctx, Number(process.env.GEN_BENCH_CHUNKS ?? 200));
  rows.forEach((r) => ctx.log(JSON.stringify(r)));
  const speed = Object.fromEntries(rows.map((r) => [r.decode, r.codesPerSec]));
  for (const size of sizes) {
    const s = SIZES[size];
    if (!s) throw new Error(`generate-bundle: unknown size '${size}' (known: ${Object.keys(SIZES).join(', ')})`);
    // alternate native and tfjs decode so both see the same machine load; the tfjs decode of 10M takes too long
    const modes = size === '10m' ? ['native'] : ['native', 'tfjs'];
    for (let p = 0; p < pairs; p++) {
      for (const mode of modes) {
        const load1 = ctx.load();
        const r = generateOnce(s.hidden, mode === 'tfjs' ? { IGPG_NATIVE_DECODE: 'off' } : {});
        rows.push({ network: size, decode: mode, params: r.params, wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, peakRssMb: r.peakRssMb, load1 });
        ctx.log(JSON.stringify(rows[rows.length - 1]));
      }
    }
  }
  const range = (size, mode, key) => {
    const v = rows.filter((r) => r.network === size && r.decode === mode).map((r) => r[key]);
    return v.length ? [Math.min(...v), Math.max(...v)] : null;
  };
  const oneM = range('1m', 'native', 'wallSeconds'), tenM = range('10m', 'native', 'wallSeconds'), tenMRss = range('10m', 'native', 'peakRssMb');
  return {
    config: { generator: 'runs/default', instruction: INSTRUCTION, sampler: 'bundle defaults (4 candidates)', cores: os.cpus().length, pairs },
    targets: { oneMillionSeconds: 10, tenMillionSeconds: 60, tenMillionPeakRssMb: 2048 },
    codesPerSec: speed, nativeSpeedup: speed.native && speed.tfjs ? +(speed.native / speed.tfjs).toFixed(1) : null,
    ranges: { oneMWall: oneM, oneMCpu: range('1m', 'native', 'cpuSeconds'), oneMTfjsWall: range('1m', 'tfjs', 'wallSeconds'), tenMWall: tenM, tenMCpu: range('10m', 'native', 'cpuSeconds'), tenMPeakRssMb: tenMRss },
    met: { oneMillion: oneM ? oneM[1] <= 10 : null, tenMillion: tenM ? tenM[1] <= 60 : null, tenMillionMemory: tenMRss ? tenMRss[1] < 2048 : null },
    rows,
  };
}
