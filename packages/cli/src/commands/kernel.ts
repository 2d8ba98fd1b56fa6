import * as path from 'node:path';
import type { Command } from 'commander';
import { installKernel, kernelsDir, uninstallKernel, KERNEL_NAME, type KernelInstallOptions } from '@igpg/kernel-plugin';
import { UsageError } from '../errors';
import { action, emit } from '../runtime';

interface KernelFlags { prefix?: string; user?: boolean; json?: boolean }

function kernelOptions(flags: KernelFlags): KernelInstallOptions {
  if (flags.prefix !== undefined && flags.user) throw new UsageError('--prefix and --user pick different places: give one of them.');
  if (flags.prefix !== undefined && flags.prefix.trim() === '') throw new UsageError('--prefix must name a folder.');
  return { prefix: flags.prefix, user: flags.user };
}

/** How to start Jupyter so that it finds the kernel installed with `opts`. */
function usageHint(opts: KernelInstallOptions): string {
  const jupyterPath = opts.prefix ? `JUPYTER_PATH=${path.join(path.resolve(opts.prefix), 'share', 'jupyter')} ` : '';
  return [
    'Use it:',
    `  ${jupyterPath}jupyter notebook          (or jupyter lab), then pick the kernel "igpg (TypeScript)"`,
    `  ${jupyterPath}jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=${KERNEL_NAME} NB.ipynb`,
  ].join('\n');
}

/** `igpg kernel install|uninstall`: the "igpg (TypeScript)" Jupyter kernel (tslab that can import @igpg/*). */
export function registerKernel(program: Command): void {
  const kernel = program
    .command('kernel')
    .description('install or remove the "igpg (TypeScript)" Jupyter kernel (tslab with @igpg/* importable)');
  const common = (cmd: Command) => cmd
    .option('--prefix <dir>', 'install under <dir>/share/jupyter/kernels (then run Jupyter with JUPYTER_PATH=<dir>/share/jupyter)')
    .option('--user', 'install for the current user (the default unless root)')
    .option('--json', 'print the result as JSON');

  common(kernel.command('install').description(`register the ${KERNEL_NAME} kernelspec`))
    .action(action(async (flags: KernelFlags) => {
      const opts = kernelOptions(flags);
      const dir = installKernel(opts);
      emit(flags.json, { name: KERNEL_NAME, dir, jupyterPath: opts.prefix ? path.join(path.resolve(opts.prefix), 'share', 'jupyter') : null },
        () => `installed the Jupyter kernel "igpg (TypeScript)" (${KERNEL_NAME}) in ${dir}\n${usageHint(opts)}`);
    }));

  common(kernel.command('uninstall').description(`remove the ${KERNEL_NAME} kernelspec`))
    .action(action(async (flags: KernelFlags) => {
      const opts = kernelOptions(flags);
      const dir = path.join(kernelsDir(opts), KERNEL_NAME);
      const existed = uninstallKernel(opts);
      emit(flags.json, { name: KERNEL_NAME, dir, removed: existed },
        () => (existed ? `removed the Jupyter kernel ${KERNEL_NAME} from ${dir}` : `no kernel ${KERNEL_NAME} in ${dir}: nothing to remove`));
    }));
}
