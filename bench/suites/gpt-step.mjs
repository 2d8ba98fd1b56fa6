// One GPT training step (forward, backward, Adam) per backend: ms/step, tokens/s, ratio to
// the pure-JS cpu backend, fraction of the machine's fp32 peak, and a per-kernel profile; then the fastest backend
// (the last wasm configuration) against the same step in PyTorch (bench/gpt_step_torch.py, 1 and 2 threads,
// alternating rounds; bench/torch.mjs).
import { runTorch, sideBySide } from '../torch.mjs';

const CONFIG = { vocabSize: 1024, dModel: 128, nLayers: 4, nHeads: 4, contextLength: 256 };
const BATCH = 16;

/** Matmul FLOPs of one training step: 3 × forward (backward = 2 × forward). */
export function stepFlops({ vocabSize: V, dModel: d, nLayers: L, contextLength: T }, B) {
  const N = B * T;
  const perLayer = 2 * N * d * d * 4 /* q,k,v,o */ + 2 * N * d * 4 * d * 2 /* MLP */ + 2 * 2 * B * T * T * d /* QKᵀ and AV, full T×T */;
  const forward = L * perLayer + 2 * N * d * V /* head */;
  return { forward, step: 3 * forward, formula: 'forward = L·(8·N·d² + 16·N·d² + 4·B·T²·d) + 2·N·d·V with N = B·T; step = 3·forward (matmuls only; elementwise not counted)' };
}

export async function run(ctx) {
  const { tf, core } = ctx;
  const flops = stepFlops(CONFIG, BATCH);
  const tokens = BATCH * CONFIG.contextLength;
  const rows = [];
  let cpuMs = null;
  let profile = null;
  for (const be of ctx.backends) {
    const info = await ctx.use(be);
    const gpt = new core.GPT(CONFIG, 1);
    const opt = core.createAdam(3e-4); // tf.train.adam, with a fused native update on wasm + addon
    // The pure-JS cpu backend is ~100× slower: in quick mode it runs one step at batch 2 and
    // its per-token time is taken as representative (step cost is linear in batch).
    const batch = be.backend === 'cpu' && !ctx.long ? 2 : BATCH;
    const ids = tf.randomUniform([batch, CONFIG.contextLength], 0, CONFIG.vocabSize, 'int32', 3);
    const targets = tf.randomUniform([batch, CONFIG.contextLength], 0, CONFIG.vocabSize, 'int32', 4);
    const step = () => tf.dispose(opt.minimize(() => gpt.loss(gpt.forward(gpt.embed(ids), { training: true }), targets), true, gpt.variables).dataSync());
    // cpu is ~100× slower: one step there; elsewhere best of several (other work shares the cores).
    const reps = be.backend === 'cpu' ? 1 : ctx.long ? 10 : 4;
    const load1 = ctx.load();
    const cpu0 = process.cpuUsage();
    const t = ctx.time(step, { reps, warmup: be.backend === 'cpu' ? 0 : 1 });
    const cpuUsed = process.cpuUsage(cpu0);
    const scale = BATCH / batch; // per full-size step
    const best = t.best * scale, median = t.median * scale;
    if (be.backend === 'cpu') cpuMs = best;
    if (!profile && be.native) profile = await profileStep(tf, step, be.label);
    rows.push({
      backend: be.label, msPerStep: +best.toFixed(0), medianMs: +median.toFixed(0), tokensPerSec: Math.round(tokens / best * 1000),
      speedupVsCpu: null, gflops: +(flops.step / best / 1e6).toFixed(1),
      peakFraction: +(flops.step / best / 1e6 / ctx.cpu.peakGflops).toFixed(3), steps: reps, batchMeasured: batch, threads: info.threads,
      // CPU seconds of this process per step (all threads, warm-up included), and the load around it.
      cpuMsPerStep: Math.round((cpuUsed.user + cpuUsed.system) / 1000 / (reps + (be.backend === 'cpu' ? 0 : 1)) * scale),
      fusedAdam: Boolean(opt.lastUpdateNative), blasThreads: be.native ? core.blasThreads?.().current : null, load1, load1After: ctx.load(),
    });
    tf.dispose([ids, targets]);
    opt.dispose();
    gpt.dispose();
  }
  for (const r of rows) r.speedupVsCpu = cpuMs ? +(cpuMs / r.msPerStep).toFixed(1) : null;
  if (!profile) {
    const last = ctx.backends.filter((b) => b.backend === 'wasm').pop();
    if (last) {
      await ctx.use(last);
      const gpt = new core.GPT(CONFIG, 1), opt = core.createAdam(3e-4);
      const ids = tf.randomUniform([BATCH, CONFIG.contextLength], 0, CONFIG.vocabSize, 'int32', 3);
      const step = () => tf.dispose(opt.minimize(() => gpt.loss(gpt.forward(gpt.embed(ids)), ids), true, gpt.variables).dataSync());
      step();
      profile = await profileStep(tf, step, last.label);
      tf.dispose(ids); opt.dispose(); gpt.dispose();
    }
  }
  const torch = await torchSideBySide(ctx);
  if (profile) {
    console.log(`  profile of one step on ${profile.backend} (kernel ms, summed over calls):`);
    console.table(profile.kernels.slice(0, 15));
  }
  return {
    config: { ...CONFIG, batch: BATCH, optimizer: 'adam', tokensPerStep: tokens },
    flops, peak: { gflops: ctx.cpu.peakGflops, formula: ctx.cpu.peakFormula },
    note: 'ms/step is the best of `steps` timed steps after one warm-up (the cores are shared, so the median is noisier; load1 is the 1-minute load average before the timing, load1After after it); cpu runs one step, at batch 2 scaled to 16 unless --long; peakFraction = matmul GFLOP/s / peak.gflops',
    rows, profile, torch,
  };
}

/** Our fastest configuration's step (mean ms over `steps`) against PyTorch's, alternating. */
async function torchSideBySide(ctx) {
  const { tf, core } = ctx;
  const fastest = ctx.backends.filter((b) => b.backend === 'wasm').pop();
  if (!fastest) return null;
  await ctx.use(fastest);
  const gpt = new core.GPT(CONFIG, 1), opt = core.createAdam(3e-4);
  const ids = tf.randomUniform([BATCH, CONFIG.contextLength], 0, CONFIG.vocabSize, 'int32', 3);
  const targets = tf.randomUniform([BATCH, CONFIG.contextLength], 0, CONFIG.vocabSize, 'int32', 4);
  const step = () => tf.dispose(opt.minimize(() => gpt.loss(gpt.forward(gpt.embed(ids), { training: true }), targets), true, gpt.variables).dataSync());
  const steps = ctx.long ? 6 : 3;
  const side = await sideBySide({
    rounds: ctx.long ? 3 : 2,
    ours: () => { step(); const t0 = performance.now(); for (let i = 0; i < steps; i++) step(); return (performance.now() - t0) / steps; },
    torch: (threads) => runTorch('gpt_step_torch.py', ['--config', JSON.stringify({ ...CONFIG, batch: BATCH })], { threads, steps }),
  });
  tf.dispose([ids, targets]); opt.dispose(); gpt.dispose();
  ctx.log(`${fastest.label} vs PyTorch: ${side.speedup ? `${side.speedup}x (${side.speedupRange} over rounds, baseline ${side.baselineThreads} thread(s))` : side.note}`);
  return { backend: fastest.label, ...side, note: side.note ?? 'ms/step: mean of `steps` steps after one warm-up, each side; speedup = PyTorch ms / ours (> 1: ours faster)' };
}

async function profileStep(tf, step, label) {
  const p = await tf.profile(step);
  const agg = new Map();
  for (const k of p.kernels) {
    const a = agg.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
    a.ms += k.kernelTimeMs; a.calls += 1;
    agg.set(k.name, a);
  }
  const kernels = [...agg.values()].sort((a, b) => b.ms - a.ms).map((k) => ({ ...k, ms: +k.ms.toFixed(1) }));
  return { backend: label, totalKernelMs: +kernels.reduce((s, k) => s + k.ms, 0).toFixed(0), kernelCalls: p.kernels.length, kernels };
}
