// Prior training speed on the default token layout: ms and tokens (chunks)/s of one Adam step (drawBatch, priorLoss:
// condition encoders, position projection, the GPT trunk and the depth head, forward + backward) as trainPrior runs
// it, with configs/default.json's prior (d 128, 4 layers, context 80, depth head 512) over the default VQ-VAE's codes
// (l = 24, C = 256) of the default zoo's architectures, batch priorTrain.batchSize; against the same step in PyTorch
// (bench/prior_torch.py, 1 and 2 threads, alternating with ours; bench/torch.mjs). --long adds tf.train.adam.
import { defaultLayout } from '../default-layout.mjs';
import { runTorch, sideBySide } from '../torch.mjs';

export async function run(ctx) {
  const { core, tf } = ctx;
  const { config, architectures } = defaultLayout(core);
  const be = ctx.backends.filter((b) => b.backend === 'wasm').pop();
  const info = await ctx.use(be);
  const vq = config.vqvae.model;
  const PRIOR = { ...config.prior, codebookSize: vq.codebookSize, codesPerChunk: vq.codesPerChunk, chunkSize: config.tokenizer.chunkSize };
  const BATCH = config.priorTrain.batchSize;
  const prior = new core.Prior(PRIOR, { scope: 'bench-train' });
  const tokenizer = core.createTokenizer(config.tokenizer);
  const rng = core.createRng(1);
  const examples = architectures.flatMap((a) => [0, 1].map((k) => {
    const places = tokenizer.encodeLayout(a.infos).positions;
    return {
      codes: Int32Array.from({ length: places.length * PRIOR.codesPerChunk }, () => rng.int(PRIOR.codebookSize)),
      instructions: [k ? 'classify fashion items' : 'classify MNIST digits'], architecture: a.condition, layout: { places },
    };
  }));
  const steps = ctx.long ? 6 : 2;
  let shape = null;
  const timeSteps = (opt, first) => {
    let i = 0;
    const step = () => {
      const batch = core.drawBatch(prior, examples, BATCH, core.createRng(1).fork(i++));
      shape = { B: batch.B, T: batch.T, tokens: batch.mask.reduce((a, b) => a + b, 0) };
      tf.dispose(opt.minimize(() => core.priorLoss(prior, batch, { training: true }), true, prior.trainable));
    };
    if (first) step(); // warm-up
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) step();
    return (performance.now() - t0) / steps; // mean ms per step
  };
  const rows = [];
  const adam = core.createAdam(1e-3); // trainPrior's optimizer: one fused native pass per variable on wasm + addon
  const side = await sideBySide({
    rounds: ctx.long ? 3 : 2,
    ours: (r) => timeSteps(adam, r === 0),
    torch: (threads) => runTorch('prior_torch.py', ['--config', JSON.stringify({
      ...prior.config, positionFeatures: core.POSITION_FEATURES, batch: shape.B, T: shape.T,
    })], { threads, steps }),
  });
  adam.dispose();
  const row = (optimizer, ms) => ({ backend: be.label, threads: info.threads, optimizer, batch: shape.B, chunksPerWindow: shape.T, tokensPerStep: shape.tokens, msPerStep: Math.round(ms), tokensPerSec: Math.round((shape.tokens / ms) * 1000) });
  rows.push({ ...row('createAdam (trainPrior)', side.oursMedianMs), torchMs1: side.torch1Ms?.join(' / ') ?? null, torchMs2: side.torch2Ms?.join(' / ') ?? null, speedupVsTorch: side.speedup, load1: ctx.load() });
  if (ctx.long) {
    const opt = tf.train.adam(1e-3);
    rows.push({ ...row('tf.train.adam', timeSteps(opt, true)), load1: ctx.load() });
    opt.dispose();
  }
  prior.dispose();
  ctx.log(side.speedup ? `${side.speedup}x PyTorch (${side.speedupRange} over rounds, baseline ${side.baselineThreads} thread(s))` : side.note);
  return {
    config: { prior: prior.config, batch: BATCH, layouts: architectures.map((a) => a.label) }, rows, torch: side,
    note: 'ms/step: mean over `steps` steps after one warm-up, ours and PyTorch (bench/prior_torch.py) alike; PyTorch pads every window to T chunks (the mask decides the loss), as ours; tokens = chunks with a target; speedup = PyTorch ms / ours (> 1: ours faster), baseline the faster PyTorch thread count, range over alternating rounds',
  };
}
