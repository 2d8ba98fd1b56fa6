import { emaFactory } from './quantizer-ema';
import { gumbelFactory } from './quantizer-gumbel';
import { residualFactory } from './quantizer-residual';
import { hasQuantizer, registerQuantizer, type QuantizerFactory } from './registry';

/**
 * The built-in quantizers by name, registered in a loop below (tfjs-style kernel list). A new one: its file with a
 * factory, plus one line here (or registerQuantizer from outside the package).
 */
export const builtinQuantizers = {
  ema: emaFactory,
  residual: residualFactory,
  gumbel: gumbelFactory,
} satisfies Record<string, QuantizerFactory>;

export type BuiltinQuantizer = keyof typeof builtinQuantizers;

// a second copy of this module (dist vs src, a notebook) finds its built-ins already in the shared registry
for (const [name, factory] of Object.entries(builtinQuantizers)) if (!hasQuantizer(name)) registerQuantizer(name, factory);
