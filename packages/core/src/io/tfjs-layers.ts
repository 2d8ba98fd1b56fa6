import { createRequire } from 'node:module';
import type * as tfl from '@tensorflow/tfjs-layers';
import { getArchitecture, hasArchitecture } from '../sdk/architecture';
import type { KerasLayer } from '../sdk/keras';
import { weightRecord, type NetworkWeights } from '../sdk/weights';

/*
 * tfjs Layers models: the topology comes from tfjs-layers itself (we build the Sequential model the
 * architecture describes and ask it for its own JSON), so what `tf.loadLayersModel()` reads is exactly what
 * tfjs-layers writes. tfjs-layers is loaded on first use only: it is large and most users never export.
 */

const requireHere = createRequire(__filename);
let layersLib: typeof tfl | undefined;
function tfLayers(): typeof tfl {
  layersLib ??= requireHere('@tensorflow/tfjs-layers') as typeof tfl;
  return layersLib;
}

/** The Keras layers of a registered architecture's network, or undefined when it has none (e.g. ViT, ResNet). */
export function kerasLayersOf(arch: string, spec: Record<string, unknown>): KerasLayer[] | undefined {
  if (!hasArchitecture(arch)) return undefined;
  const plugin = getArchitecture(arch);
  return plugin.layers ? plugin.layers(spec) : undefined;
}

function makeLayer(l: KerasLayer, inputShape: number[] | undefined): tfl.layers.Layer {
  const L = tfLayers().layers;
  const first = inputShape ? { inputShape } : {};
  switch (l.type) {
    case 'dense':
      return L.dense({ ...first, name: l.name, units: l.units, activation: l.activation });
    case 'conv2d':
      return L.conv2d({ ...first, name: l.name, filters: l.filters, kernelSize: l.kernelSize, padding: 'valid', activation: l.activation });
    case 'maxPooling2d':
      return L.maxPooling2d({ ...first, name: l.name, poolSize: l.poolSize, strides: l.poolSize, padding: 'valid' });
    case 'averagePooling2d':
      return L.averagePooling2d({ ...first, name: l.name, poolSize: l.poolSize, strides: l.poolSize, padding: 'valid' });
    case 'flatten':
      return L.flatten({ ...first, name: l.name });
    case 'activation':
      return L.activation({ ...first, name: l.name, activation: l.activation });
  }
}

/**
 * Build the network as a tfjs-layers Sequential model holding `weights` (dispose it when done).
 * Throws when the architecture has no Keras description.
 * @example const model = toLayersModel(networkWeights(net)); model.predict(x); model.dispose();
 */
export function toLayersModel(weights: NetworkWeights): tfl.Sequential {
  const layers = kerasLayersOf(weights.arch, weights.spec);
  if (!layers) throw new Error(`architecture "${weights.arch}" has no Keras layer description; export it as safetensors or tfjs weights instead`);
  const inputShape = weights.spec.inputShape as number[];
  const tf = tfLayers();
  const model = tf.sequential({ name: `igpg_${weights.arch.replace(/[^a-zA-Z0-9_]/g, '_')}`, layers: layers.map((l, i) => makeLayer(l, i === 0 ? inputShape : undefined)) });
  const record = weightRecord(weights.infos, weights.flat);
  try {
    for (const l of layers) {
      if (l.type !== 'dense' && l.type !== 'conv2d') continue;
      const layer = model.getLayer(l.name);
      const [k, b] = [record[l.kernel], record[l.bias]];
      if (!k || !b) throw new Error(`layer ${l.name}: no tensors "${l.kernel}" / "${l.bias}" in the ${weights.arch} parameters`);
      const values = [tfc().tensor(k.data, k.shape), tfc().tensor(b.data, b.shape)];
      try {
        layer.setWeights(values); // checks the shapes against the layer's
      } finally {
        values.forEach((v) => v.dispose());
      }
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

function tfc(): typeof import('@tensorflow/tfjs-core') {
  return requireHere('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
}

/**
 * The tfjs-layers topology (`modelTopology` of model.json) and weight specs for `weights`. The weight specs
 * follow the model's own weight order; `canonical` gives each one's canonical (PyTorch) name.
 */
export function layersModelArtifacts(weights: NetworkWeights): {
  modelTopology: object;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  canonical: string[];
  data: Float32Array;
} {
  const layers = kerasLayersOf(weights.arch, weights.spec)!;
  const model = toLayersModel(weights);
  try {
    const byKeras = new Map<string, string>();
    for (const l of layers) {
      if (l.type === 'dense' || l.type === 'conv2d') {
        byKeras.set(`${l.name}/kernel`, l.kernel);
        byKeras.set(`${l.name}/bias`, l.bias);
      }
    }
    const record = weightRecord(weights.infos, weights.flat);
    const weightSpecs = model.weights.map((w) => ({ name: w.originalName, shape: [...w.shape] as number[], dtype: 'float32' as const }));
    const canonical = weightSpecs.map((s) => {
      const name = byKeras.get(s.name);
      if (!name) throw new Error(`tfjs-layers weight "${s.name}" has no canonical name`);
      return name;
    });
    if (canonical.length !== weights.infos.length) throw new Error(`the Keras model has ${canonical.length} weights, the ${weights.arch} network ${weights.infos.length}`);
    const data = new Float32Array(weights.flat.length);
    let at = 0;
    for (const name of canonical) {
      data.set(record[name].data, at);
      at += record[name].data.length;
    }
    return { modelTopology: model.toJSON(null, false) as object, weightSpecs, canonical, data };
  } finally {
    model.dispose();
  }
}
