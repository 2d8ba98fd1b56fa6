import { sharedRegistry } from '../sdk/registry';
import type { Quantizer } from './ops';
import type { VqvaeConfig } from './model';

/**
 * What the VQ-VAE hands a quantizer factory: its sizes, and the quantizer options of its config (defaults filled in;
 * documented on VqvaeConfig: EMA decay, commitment weight, dead-code threshold; Gumbel temperature, floor, anneal).
 */
export interface QuantizerFactoryOptions extends Pick<VqvaeConfig, 'decay' | 'commitmentWeight' | 'deadCodeThreshold' | 'temperature' | 'minTemperature' | 'anneal'> {
  /** C: codes per codebook (per kind, with per-kind codebooks). */
  codebookSize: number;
  /** D: values per latent row and per code vector. */
  dim: number;
  /** l: codes per chunk. */
  levels: number;
  /** Chunk kinds with a codebook of their own; 1 = one shared codebook. Above 1 only if the factory has perKindCodebooks. */
  kinds: number;
  seed: number;
  /** Prefix of the quantizer's variable names (`vqvae/rvq`); saved models find their weights by it. */
  scope: string;
}

/** How the VQ-VAE builds one kind of quantizer, and the two facts it needs to shape the encoder around it. */
export interface QuantizerFactory {
  /**
   * Latent rows (D values each) the encoder emits per chunk of l codes; must divide l. The product EMA quantizer takes
   * l slices (one code each), the residual one a single latent (l codes).
   */
  rowsPerChunk(levels: number): number;
  /** Whether it can keep rows of kind k to codes [k*C, (k+1)*C) (QuantizeOptions.kinds, VqvaeConfig.kinds). */
  perKindCodebooks: boolean;
  /** Its variables' sub-scope under the VQ-VAE's (default: its name). Fixed once models are saved: weights load by name. */
  scope?: string;
  create(opts: QuantizerFactoryOptions): Quantizer;
}

/** A registered factory, under its name. */
export interface QuantizerPlugin extends QuantizerFactory {
  name: string;
}

const quantizers = sharedRegistry<QuantizerPlugin>('quantizer');

/**
 * Register a quantizer under a name a VQ-VAE config can give as `quantizer`; a duplicate name is an error.
 * @example registerQuantizer('vq', { rowsPerChunk: (l) => l, perKindCodebooks: false, create: (o) => myQuantizer(o) }); createVqvae({ quantizer: 'vq' });
 */
export function registerQuantizer(name: string, factory: QuantizerFactory): QuantizerPlugin {
  return quantizers.register({ ...factory, name });
}
/** Look a quantizer up by name; an unknown name lists the registered ones. */
export function getQuantizer(name: string): QuantizerPlugin {
  return quantizers.get(name);
}
/** All registered quantizers, sorted by name. */
export function listQuantizers(): QuantizerPlugin[] {
  return quantizers.list();
}
/** Whether a quantizer of this name is registered. */
export function hasQuantizer(name: string): boolean {
  return quantizers.has(name);
}
/** Remove a quantizer (tests, notebooks). Returns whether it was registered. */
export function unregisterQuantizer(name: string): boolean {
  return quantizers.unregister(name);
}
