// Prior training speed: tokens/s of one Adam step (forward + backward through the GPT, the condition encoders and
// the position projection) on full context windows, as trainPrior runs it.
import { PRIOR } from './generate.mjs';

const BATCH = 8;

export async function run(ctx) {
  const { core, tf } = ctx;
  const be = ctx.backends.filter((b) => b.backend === 'wasm').pop();
  const info = await ctx.use(be);
  const prior = new core.Prior(PRIOR, { scope: 'bench-train' });
  const tokenizer = core.createTokenizer({ chunkSize: PRIOR.chunkSize });
  const infos = [[64, 150], [150, 150], [150, 150], [150, 10]].flatMap(([i, o], l) => [
    { name: `l${l}.weight`, role: 'kernel', shape: [i, o], layer: l }, { name: `l${l}.bias`, role: 'bias', shape: [o], layer: l }]);
  const places = tokenizer.encodeLayout(infos).positions;
  const rng = core.createRng(1);
  const examples = [0, 1].map((k) => ({
    codes: Int32Array.from({ length: places.length * PRIOR.codesPerChunk }, () => rng.int(PRIOR.codebookSize)),
    instructions: [k ? 'classify fashion items' : 'classify MNIST digits'],
    architecture: core.architectureCondition('mlp', 'MLP 64-150-150-150-10', infos),
    layout: { places },
  }));
  // trainPrior's optimizer (createAdam: one fused native pass per variable on wasm + addon) against tfjs's Adam, same process
  const rows = [];
  for (const [name, make] of [['tf.train.adam', () => tf.train.adam(1e-3)], ['createAdam (trainPrior)', () => core.createAdam(1e-3)]]) {
    const opt = make();
    let tokens = 0;
    const step = (i) => {
      const batch = core.drawBatch(prior, examples, BATCH, core.createRng(1).fork(i));
      tokens = batch.mask.reduce((a, b) => a + b, 0);
      tf.dispose(opt.minimize(() => core.priorLoss(prior, batch, { training: true }), true, prior.variables.filter((v) => v.trainable)));
    };
    let i = 0;
    const t = ctx.time(() => step(i++), { reps: ctx.long ? 10 : 3, warmup: 1 });
    opt.dispose();
    rows.push({ backend: be.label, threads: info.threads, optimizer: name, batch: BATCH, tokensPerStep: tokens, msPerStep: Math.round(t.best), medianMs: Math.round(t.median), tokensPerSec: Math.round((tokens / t.best) * 1000) });
  }
  prior.dispose();
  ctx.log(`createAdam vs tf.train.adam: ${(rows[1].tokensPerSec / rows[0].tokensPerSec).toFixed(2)}x tokens/s`);
  return { config: { prior: PRIOR, batch: BATCH }, rows };
}
