// Matmul GFLOP/s per backend: square, transposed and batched attention shapes.

/** [label, aShape, bShape, transposeA, transposeB]; FLOPs = 2·batch·M·N·K. */
function shapes(long) {
  const list = [
    ['256² · 256²', [256, 256], [256, 256], false, false],
    ['512² · 512²', [512, 512], [512, 512], false, false],
    ['1024² · 1024²', [1024, 1024], [1024, 1024], false, false],
    ['512² ᵀ· 512² (transposeA)', [512, 512], [512, 512], true, false],
    ['512² · 512²ᵀ (transposeB)', [512, 512], [512, 512], false, true],
    ['attn QKᵀ (64,256,32)·(64,256,32)ᵀ', [64, 256, 32], [64, 256, 32], false, true],
    ['attn AV (64,256,256)·(64,256,32)', [64, 256, 256], [64, 256, 32], false, false],
  ];
  if (long) list.push(['2048² · 2048²', [2048, 2048], [2048, 2048], false, false]);
  return list;
}

function flops([, a, b, ta]) {
  const M = ta ? a[a.length - 1] : a[a.length - 2], K = ta ? a[a.length - 2] : a[a.length - 1];
  const N = b[b.length - 1] === K ? b[b.length - 2] : b[b.length - 1];
  const batch = a.length === 3 ? a[0] : 1;
  return 2 * batch * M * N * K;
}

export async function run(ctx) {
  const { tf, core } = ctx;
  const rows = [];
  for (const be of ctx.backends) {
    const info = await ctx.use(be);
    for (const s of shapes(ctx.long)) {
      const f = flops(s);
      // The pure-JS cpu backend runs at ~1 GFLOP/s: only shapes under ~0.3 GFLOP there.
      if (be.backend === 'cpu' && f > 3e8 && !ctx.long) continue;
      const [, aShape, bShape, ta, tb] = s;
      const a = tf.randomNormal(aShape, 0, 1, 'float32', 1), b = tf.randomNormal(bShape, 0, 1, 'float32', 2);
      const reps = ctx.long ? 10 : f > 1e9 ? 3 : 5;
      const load1 = ctx.load();
      const t = ctx.time(() => tf.matMul(a, b, ta, tb).dispose(), { reps: be.backend === 'cpu' ? 1 : reps });
      tf.dispose([a, b]);
      const gflops = f / t.best / 1e6;
      rows.push({ backend: be.label, shape: s[0], gflops: +gflops.toFixed(1), peakFraction: +(gflops / ctx.cpu.peakGflops).toFixed(3), bestMs: +t.best.toFixed(2), medianMs: +t.median.toFixed(2), threads: info.threads, native: info.native ?? '', blasThreads: info.native ? core.blasThreads?.().current : null, load1 });
    }
  }
  return {
    note: 'best of N timed calls after one warm-up; wasm ops are synchronous so the wall time of the op is its run time; load1 = 1-minute load average before the shape',
    peak: { gflops: ctx.cpu.peakGflops, formula: ctx.cpu.peakFormula }, rows,
  };
}
