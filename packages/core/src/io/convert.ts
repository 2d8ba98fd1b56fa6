import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileIntegrityError } from './atomic';
import { loadNetworkSafetensors, saveNetworkSafetensors } from './safetensors';
import { loadTfjsWeights, saveTfjsWeights } from './tfjs-format';
import { kerasLayersOf } from './tfjs-layers';
import type { WeightLayout } from '../sdk/layout';
import type { NetworkWeights } from '../sdk/weights';

/** What `convertNetwork` writes. */
export interface ConvertOptions {
  /** 'safetensors' (a file) or 'tfjs-layers' (a folder with model.json + weights.bin). */
  format: 'safetensors' | 'tfjs-layers';
  /** safetensors tensor layout: 'tfjs' (Keras) or 'torch' (PyTorch state_dict). Ignored for tfjs-layers (always Keras). */
  layout?: WeightLayout;
}

/**
 * Read a network file of any igpg format: a .safetensors file (zoo checkpoint or generated, either layout) or a
 * tfjs folder / its model.json (Layers model or weights-only).
 */
export function readNetworkFile(input: string): NetworkWeights & { metadata: Record<string, string> } {
  if (!fs.existsSync(input)) throw new FileIntegrityError(`${input}: not found (give a .safetensors file or a tfjs folder with model.json)`);
  const dir = fs.statSync(input).isDirectory() ? input : path.basename(input) === 'model.json' ? path.dirname(input) : undefined;
  if (dir !== undefined) {
    if (!fs.existsSync(path.join(dir, 'model.json'))) throw new FileIntegrityError(`${input}: a folder without model.json; give a .safetensors file or a tfjs folder`);
    return { ...loadTfjsWeights(dir), metadata: {} };
  }
  const w = loadNetworkSafetensors(input);
  if (!w.arch) throw new FileIntegrityError(`${input}: no "igpg.arch" in its metadata, so the architecture is unknown; only igpg-written files convert`);
  const metadata = Object.fromEntries(Object.entries(w.metadata).filter(([k]) => !['igpg.arch', 'igpg.spec', 'igpg.layout', 'format'].includes(k)));
  return { arch: w.arch, spec: w.spec, infos: w.infos, flat: w.flat, metadata };
}

/**
 * Convert a network file between formats and layouts (values bit-identical). Returns the path written.
 * @example convertNetwork('zoo/default/weights/mnist__all/cnn-s/s0-e3.safetensors', 'cnn-s.pt.safetensors', { format: 'safetensors', layout: 'torch' });
 */
export function convertNetwork(input: string, output: string, options: ConvertOptions): string {
  const { format, layout = 'tfjs' } = options;
  if (format !== 'safetensors' && format !== 'tfjs-layers') throw new Error(`format must be "safetensors" or "tfjs-layers", got ${JSON.stringify(format)}`);
  if (layout !== 'tfjs' && layout !== 'torch') throw new Error(`layout must be "tfjs" or "torch", got ${JSON.stringify(layout)}`);
  const w = readNetworkFile(input);
  if (format === 'safetensors') {
    saveNetworkSafetensors(output, w, { layout, metadata: w.metadata });
    return output;
  }
  if (layout === 'torch') throw new Error('the tfjs-layers format is always in Keras layout; drop --layout torch (it is for safetensors)');
  if (!kerasLayersOf(w.arch, w.spec)) throw new Error(`architecture "${w.arch}" has no tfjs Layers description (only mlp, cnn-s, cnn-l do); convert it to safetensors instead`);
  saveTfjsWeights(output, w);
  return path.join(output, 'model.json');
}
