import * as path from 'node:path';
import { FileIntegrityError, readFileVerified, readJson, sha256, writeFileAtomic, writeJsonAtomic } from './atomic';
import { getArchitecture } from '../sdk/architecture';
import type { ParamInfo } from '../sdk/types';
import { flattenRecord, type NetworkWeights } from '../sdk/weights';
import { kerasLayersOf, layersModelArtifacts } from './tfjs-layers';

const TFJS_LAYERS_VERSION = '4.22.0'; // pinned in packages/core/package.json

/**
 * The TensorFlow.js model format, written with node fs (tfjs has no file:// handler without tfjs-node):
 *   <dir>/model.json  { format, generatedBy, convertedBy, modelTopology?, weightsManifest: [{ paths: ['weights.bin'],
 *                       weights: [{ name, shape, dtype: 'float32' }] }], userDefinedMetadata: { igpg: ... } }
 *   <dir>/weights.bin  the float32 values, little-endian, concatenated in manifest order
 * For architectures with a Keras description (mlp, cnn-s, cnn-l) it is a real tfjs Layers model
 * (format 'layers-model', topology from tfjs-layers, weights named `fc1/kernel`): `tf.loadLayersModel(url)` opens it.
 * For the others (format 'igpg-weights') there is no topology; the manifest is still the standard one
 * (`tf.io.decodeWeights(bin, manifest[0].weights)` reads it) and arch + spec in the metadata rebuild the network.
 */
export interface TfjsModelJson {
  format: 'layers-model' | 'igpg-weights';
  generatedBy: string;
  convertedBy: null;
  /** The tfjs-layers (Keras) model config; only for format 'layers-model'. */
  modelTopology?: object;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
  userDefinedMetadata: {
    igpg: {
      arch: string; spec: Record<string, unknown>; weightsBytes: number; weightsSha256: string;
      /** Canonical (PyTorch) name of each manifest entry, in manifest order; only for 'layers-model'. */
      names?: string[];
    };
  };
}

const WEIGHTS_FILE = 'weights.bin';

/**
 * Save a network in tfjs format into `dir` (weights.bin first, then model.json, each atomically): a tfjs Layers
 * model when the architecture has a Keras description, else weights only.
 * @example saveTfjsWeights('out/net-0', networkWeights(net)); // then in tfjs: await tf.loadLayersModel(url)
 */
export function saveTfjsWeights(dir: string, weights: NetworkWeights): TfjsModelJson {
  const layers = kerasLayersOf(weights.arch, weights.spec) ? layersModelArtifacts(weights) : undefined;
  const values = layers?.data ?? weights.flat;
  const bin = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  writeFileAtomic(path.join(dir, WEIGHTS_FILE), bin);
  const igpg = { arch: weights.arch, spec: weights.spec, weightsBytes: bin.byteLength, weightsSha256: sha256(bin) };
  const modelJson: TfjsModelJson = layers ? {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${TFJS_LAYERS_VERSION} (igpg)`,
    convertedBy: null,
    modelTopology: layers.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: layers.weightSpecs }],
    userDefinedMetadata: { igpg: { ...igpg, names: layers.canonical } },
  } : {
    format: 'igpg-weights',
    generatedBy: 'igpg (TensorFlow.js 4.22)',
    convertedBy: null,
    weightsManifest: [
      { paths: [WEIGHTS_FILE], weights: weights.infos.map((i) => ({ name: i.name, shape: [...i.shape], dtype: 'float32' as const })) },
    ],
    userDefinedMetadata: { igpg },
  };
  writeJsonAtomic(path.join(dir, 'model.json'), modelJson);
  return modelJson;
}

/**
 * Load weights saved by `saveTfjsWeights`, checking weights.bin's size and SHA-256 against model.json.
 * `infos` defaults to the registered architecture's description.
 */
export function loadTfjsWeights(dir: string, infos?: ParamInfo[]): NetworkWeights {
  const jsonFile = path.join(dir, 'model.json');
  const model = readJson<TfjsModelJson>(jsonFile);
  const meta = model?.userDefinedMetadata?.igpg;
  const manifest = model?.weightsManifest;
  if (!meta || !Array.isArray(manifest) || manifest.length !== 1 || manifest[0].paths?.length !== 1) {
    throw new FileIntegrityError(`${jsonFile}: not an igpg tfjs weights file (needs userDefinedMetadata.igpg and one weights group with one path)`);
  }
  const bin = readFileVerified(path.join(dir, manifest[0].paths[0]), { size: meta.weightsBytes, sha256: meta.weightsSha256 });
  const list = infos ?? getArchitecture(meta.arch).describe(meta.spec);
  const record: Record<string, { shape: number[]; data: Float32Array }> = {};
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  // a Layers model names its weights the Keras way (fc1/kernel); the metadata maps them back
  const names = meta.names;
  if (names !== undefined && (!Array.isArray(names) || names.length !== manifest[0].weights.length)) {
    throw new FileIntegrityError(`${jsonFile}: userDefinedMetadata.igpg.names must list one canonical name per manifest weight`);
  }
  let offset = 0;
  manifest[0].weights.forEach((w, i) => {
    if (w.dtype !== 'float32') throw new FileIntegrityError(`${jsonFile}: weight "${w.name}" has dtype ${w.dtype}; only float32 is supported`);
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (offset + n > all.length) throw new FileIntegrityError(`${jsonFile}: manifest needs more values than weights.bin holds (${all.length})`);
    record[names ? names[i] : w.name] = { shape: w.shape, data: all.subarray(offset, offset + n) };
    offset += n;
  });
  if (offset !== all.length) throw new FileIntegrityError(`${jsonFile}: manifest covers ${offset} of ${all.length} values in weights.bin`);
  let flat: Float32Array;
  try {
    flat = flattenRecord(list, record);
  } catch (e) {
    throw new FileIntegrityError(`${jsonFile}: ${(e as Error).message}`);
  }
  const bad = flat.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    let at = 0;
    const name = list.find((i) => (at += i.shape.reduce((a, b) => a * b, 1)) > bad)?.name;
    throw new FileIntegrityError(`${jsonFile}: tensor "${name}" holds a non-finite value (${flat[bad]}); refusing to import`);
  }
  return { arch: meta.arch, spec: meta.spec, infos: list, flat };
}
