import * as path from 'node:path';
import type { Command } from 'commander';
import { convertNetwork, readNetworkFile, type ConvertOptions } from '@igpg/core';
import { UsageError } from '../errors';
import { action, emit, startBackend } from '../runtime';

const FORMATS = ['safetensors', 'tfjs-layers'] as const;
const LAYOUTS = ['tfjs', 'torch'] as const;

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a zoo checkpoint or generated network between safetensors (tfjs or PyTorch layout) and a tfjs Layers model')
    .argument('<in>', 'a .safetensors file (zoo checkpoint or generated) or a tfjs folder / model.json')
    .argument('<out>', 'the .safetensors file, or the folder for the tfjs Layers model')
    .option('--format <format>', `output format: ${FORMATS.join(' or ')}`, 'safetensors')
    .option('--layout <layout>', 'safetensors tensor layout: torch (PyTorch state_dict, loads with strict=True) or tfjs (Keras)', 'torch')
    .option('--json', 'print the result as JSON')
    .action(action(async (input: string, output: string, opts: { format: string; layout: string; json?: boolean }, cmd: Command) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${opts.format}: choose ${FORMATS.join(' or ')}.`);
      if (!(LAYOUTS as readonly string[]).includes(opts.layout)) throw new UsageError(`--layout ${opts.layout}: choose ${LAYOUTS.join(' or ')}.`);
      if (path.resolve(input) === path.resolve(output)) throw new UsageError(`<out> ${output} is the input; write the converted network elsewhere.`);
      const format = opts.format as ConvertOptions['format'];
      // a tfjs Layers model is always in Keras layout: the --layout default (torch) only applies to safetensors
      if (format === 'tfjs-layers' && opts.layout === 'torch' && cmd.getOptionValueSource('layout') === 'cli') {
        throw new UsageError('--layout torch: a tfjs Layers model is always in Keras layout; --layout applies to --format safetensors.');
      }
      const layout = format === 'tfjs-layers' ? 'tfjs' : (opts.layout as ConvertOptions['layout']);
      if (format === 'safetensors' && !output.endsWith('.safetensors')) throw new UsageError(`<out> ${output}: a safetensors output must end in .safetensors.`);
      const { arch, flat } = readNetworkFile(input);
      if (format === 'tfjs-layers') await startBackend(cmd, true); // tfjs-layers builds the model to write its topology
      const written = convertNetwork(input, output, { format, layout });
      emit(opts.json, { input, output: written, arch, params: flat.length, format, layout },
        () => `wrote ${written} (${arch}, ${flat.length.toLocaleString('en-US')} parameters, ${format}${format === 'safetensors' ? `, ${layout} layout` : ''})`);
    }));
}
