// TEMPORARY test-only stand-in for prior/gpt.ts (owned by another engineer) until it lands: a tiny causal
// transformer (1 head per layer, no MLP) with the same API, so prior tests run against a real decoder.
import * as tf from '@tensorflow/tfjs-core';
import type { Decoder } from './decoder';

interface Cfg { vocabSize: number; dModel: number; nLayers: number; nHeads: number; contextLength: number }

export function miniGPT(config: Cfg, seed: number, scope = 'mini'): Decoder {
  const d = config.dModel;
  let s = seed;
  const v = (shape: number[], std: number, name: string) =>
    tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, std, 'float32', ++s), true, `${scope}/${name}`));
  const wte = v([config.vocabSize, d], 0.1, 'wte');
  const wpe = v([config.contextLength, d], 0.02, 'wpe');
  const layers = Array.from({ length: config.nLayers }, (_, l) => ({
    qkv: v([d, 3 * d], 1 / Math.sqrt(d), `h${l}/qkv`),
    proj: v([d, d], 0.5 / Math.sqrt(d), `h${l}/proj`),
    mlp: v([d, d], 1 / Math.sqrt(d), `h${l}/mlp`),
  }));
  const head = v([d, config.vocabSize], 1 / Math.sqrt(d), 'head');
  const norm = (x: tf.Tensor3D) => { const m = tf.moments(x, -1, true); return tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, 1e-5))) as tf.Tensor3D; };
  const mm = (x: tf.Tensor3D, w: tf.Tensor) => { const [B, T] = x.shape; return tf.reshape(tf.matMul(tf.reshape(x, [B * T, d]), w as tf.Tensor2D), [B, T, w.shape[1] as number]) as tf.Tensor3D; };
  // x (B,t,d) at absolute positions [p0, p0+t); past K,V (B,p0,d) or null.
  const run = (x: tf.Tensor3D, caches: { k: tf.Tensor3D | null; v: tf.Tensor3D | null }[] | null, p0: number) => {
    const [B, t] = x.shape;
    let h = tf.add(x, tf.slice(wpe, [p0, 0], [t, d])) as tf.Tensor3D;
    layers.forEach((L, i) => {
      const [q, k0, v0] = tf.split(mm(norm(h), L.qkv), 3, 2) as tf.Tensor3D[];
      let k = k0, vv = v0;
      if (caches) {
        const c = caches[i];
        if (c.k) { k = tf.concat([c.k, k0], 1); vv = tf.concat([c.v!, v0], 1); }
        c.k?.dispose(); c.v?.dispose();
        c.k = tf.keep(k); c.v = tf.keep(vv);
      }
      const T = k.shape[1];
      const att = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d)); // (B,t,T)
      const mask = tf.tidy(() => { const r = tf.reshape(tf.range(p0, p0 + t), [t, 1]); const c = tf.reshape(tf.range(0, T), [1, T]); return tf.mul(tf.cast(tf.greater(c, r), 'float32'), -1e9); });
      const a = tf.matMul(tf.softmax(tf.add(att, mask)), vv); // (B,t,d)
      h = tf.add(h, mm(a as tf.Tensor3D, L.proj)) as tf.Tensor3D;
      h = tf.add(h, mm(tf.relu(mm(norm(h), L.mlp)) as tf.Tensor3D, L.proj)) as tf.Tensor3D;
    });
    void B;
    return mm(norm(h), head);
  };
  return {
    config: { ...config },
    embed: (ids) => tf.gather(wte, ids) as tf.Tensor3D,
    forward: (x) => tf.tidy(() => run(x, null, 0)),
    loss: (logits, targets, mask) => tf.tidy(() => {
      const [B, T, V] = logits.shape;
      const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(targets, [B * T]), V), tf.reshape(logits, [B * T, V]), undefined, undefined, tf.Reduction.NONE);
      const m = mask ? tf.reshape(mask, [B * T]) : tf.onesLike(ce);
      return tf.div(tf.sum(tf.mul(ce, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
    }),
    createCache: () => {
      const c = { pos: 0, layers: layers.map(() => ({ k: null as tf.Tensor3D | null, v: null as tf.Tensor3D | null })),
        dispose() { for (const l of c.layers) { l.k?.dispose(); l.v?.dispose(); l.k = l.v = null; } } };
      return c;
    },
    forwardStep: (x, cache) => tf.tidy(() => { const out = run(x, cache.layers, cache.pos); cache.pos += x.shape[1]; return out; }),
    variables: [wte, wpe, ...layers.flatMap((L) => [L.qkv, L.proj, L.mlp]), head],
    dispose() { for (const x of [wte, wpe, head, ...layers.flatMap((L) => [L.qkv, L.proj, L.mlp])]) x.dispose(); },
  };
}
