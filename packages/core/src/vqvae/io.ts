import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readFileVerified, readJson, sha256, writeJsonAtomic } from '../io/atomic';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import { writeFileAtomic } from '../io/atomic';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../tokenizer';
import { createVqvae, freeScope, tokenizerHash, type Vqvae, type VqvaeConfig } from './model';

/**
 * A trained VQ-VAE and its tokenizer, saved together in one folder:
 *   vqvae.json           format, version, model config, tokenizer JSON (config + normalisation stats), weight file digest
 *   vqvae.safetensors    every model variable by name (encoder, decoder, codebooks and EMA state)
 */
const VQVAE_FORMAT = 'igpg-vqvae';
const VQVAE_VERSION = 1;

interface VqvaeFile {
  format: typeof VQVAE_FORMAT;
  version: number;
  config: VqvaeConfig;
  tokenizer: TokenizerJSON;
  weights: { file: string; size: number; sha256: string };
}

/**
 * Save a VQ-VAE with the tokenizer it was trained with (atomic writes; weights first, JSON last).
 * @example saveVqvae('models/vq', vq, tokenizer);
 */
export function saveVqvae(dir: string, vq: Vqvae, tok: Tokenizer): void {
  if (vq.config.tokenizerHash && vq.config.tokenizerHash !== tokenizerHash(tok)) {
    throw new Error('saveVqvae: this tokenizer is not the one the VQ-VAE was trained with; save the pair from the same training run');
  }
  const tensors = Object.fromEntries(vq.variables.map((v) => [v.name, { shape: v.shape.slice(), data: v.dataSync() as Float32Array }]));
  const bytes = encodeSafetensors(tensors, { format: VQVAE_FORMAT, version: String(VQVAE_VERSION) });
  writeFileAtomic(path.join(dir, 'vqvae.safetensors'), bytes);
  const file: VqvaeFile = {
    format: VQVAE_FORMAT, version: VQVAE_VERSION, config: { ...vq.config, tokenizerHash: tokenizerHash(tok) }, tokenizer: tok.toJSON(),
    weights: { file: 'vqvae.safetensors', size: bytes.length, sha256: sha256(bytes) },
  };
  writeJsonAtomic(path.join(dir, 'vqvae.json'), file);
}

/**
 * Load a VQ-VAE and its tokenizer saved by saveVqvae. Errors on another format version, a corrupt weight file or
 * weights that do not fit the config. Variables get a free scope (`vqvae`, `vqvae_2`, ...) unless one is given.
 * @example const { vq, tokenizer } = loadVqvae('models/vq'); decodeWeights(vq, tokenizer, infos, codes);
 */
export function loadVqvae(dir: string, scope = freeScope('vqvae')): { vq: Vqvae; tokenizer: Tokenizer } {
  const metaFile = path.join(dir, 'vqvae.json');
  const meta = readJson<VqvaeFile>(metaFile);
  if (meta.format !== VQVAE_FORMAT) throw new Error(`${metaFile}: not a VQ-VAE file (format "${meta.format}")`);
  if (meta.version !== VQVAE_VERSION) throw new Error(`${metaFile}: VQ-VAE format version ${meta.version}, this code reads version ${VQVAE_VERSION}; retrain it or use a matching igpg`);
  const tokenizer = tokenizerFromJSON(meta.tokenizer);
  if (tokenizerHash(tokenizer) !== meta.config.tokenizerHash) throw new Error(`${metaFile}: the stored tokenizer does not match the one the VQ-VAE was trained with (edited file?)`);
  const bytes = readFileVerified(path.join(dir, meta.weights.file), meta.weights);
  const { tensors } = decodeSafetensors(bytes, { source: path.join(dir, meta.weights.file) });
  const vq = createVqvae(meta.config, scope);
  try {
    for (const v of vq.variables) {
      // saved names carry the scope they were trained under; match on the part after it
      const local = v.name.slice(scope.length);
      const key = Object.keys(tensors).find((k) => k.endsWith(local) && !k.slice(0, k.length - local.length).includes('/'));
      const t = key ? tensors[key] : undefined;
      if (!t) throw new Error(`${dir}: weights lack "${local}" (codebook size or layer widths differ from the config?)`);
      if (t.shape.join('x') !== v.shape.join('x')) throw new Error(`${dir}: "${local}" has shape [${t.shape}] in the file but the config needs [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
  } catch (e) {
    vq.dispose();
    throw e;
  }
  return { vq, tokenizer };
}
