import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Options of installKernel / uninstallKernel. */
export interface KernelInstallOptions {
  /** Install under `<prefix>/share/jupyter/kernels` (then run Jupyter with JUPYTER_PATH=<prefix>/share/jupyter). */
  prefix?: string;
  /** Install for the current user (the default unless root or `prefix` is given). */
  user?: boolean;
  name?: string;        // kernelspec name (default "igpg-ts")
  displayName?: string; // default "igpg (TypeScript)"
}

export const KERNEL_NAME = 'igpg-ts';

/** The kernels directory Jupyter searches for `opts` (same rules as `jupyter kernelspec install`). */
export function kernelsDir(opts: KernelInstallOptions = {}): string {
  if (opts.prefix) return path.join(path.resolve(opts.prefix), 'share', 'jupyter', 'kernels');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (opts.user || (opts.user === undefined && !isRoot)) {
    if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Jupyter', 'kernels');
    if (process.platform === 'win32') return path.join(process.env.APPDATA ?? os.homedir(), 'jupyter', 'kernels');
    return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'jupyter', 'kernels');
  }
  return process.platform === 'win32' ? path.join(process.env.PROGRAMDATA ?? 'C:\\ProgramData', 'jupyter', 'kernels') : '/usr/local/share/jupyter/kernels';
}

/** The node_modules directory that holds the @igpg packages this file belongs to (walks up from here). */
export function igpgNodeModules(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const nm = path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(nm, '@igpg', 'kernel-plugin'))) return nm;
    if (path.dirname(dir) === dir) throw new Error(`cannot find node_modules/@igpg/kernel-plugin above ${from}: run from an installed igpg checkout`);
  }
}

/**
 * Register the "igpg (TypeScript)" Jupyter kernel: tslab started through our launcher, so that notebooks in any
 * directory can `import ... from '@igpg/core'` (NODE_PATH for `require`, a resolution fallback for the type checker).
 * Returns the kernelspec directory.
 * @example installKernel({ prefix: '/tmp/jp' }) // then JUPYTER_PATH=/tmp/jp/share/jupyter jupyter notebook
 */
export function installKernel(opts: KernelInstallOptions = {}): string {
  const name = opts.name ?? KERNEL_NAME;
  if (!/^[a-z0-9._-]+$/i.test(name)) throw new Error(`kernel name "${name}" may only use letters, digits, ".", "_" and "-"`);
  const launcher = path.join(__dirname, 'main.js');
  if (!fs.existsSync(launcher)) {
    throw new Error(`kernel launcher ${launcher} is missing: build the package first (npm run build)`);
  }
  const nodeModules = igpgNodeModules();
  require.resolve('tslab/dist/main', { paths: [nodeModules] }); // fails early, with the module name, if tslab is absent
  const spec = {
    argv: [process.execPath, launcher, '--config-path', '{connection_file}'],
    display_name: opts.displayName ?? 'igpg (TypeScript)',
    language: 'typescript',
    env: { NODE_PATH: nodeModules, IGPG_NODE_MODULES: nodeModules },
    metadata: { igpg: { nodeModules } },
  };
  const dir = path.join(kernelsDir(opts), name);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `kernel.json.tmp-${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(spec, null, 2) + '\n');
  fs.renameSync(tmp, path.join(dir, 'kernel.json'));
  return dir;
}

/** Remove the kernelspec installed by installKernel with the same options. Returns whether it existed. */
export function uninstallKernel(opts: KernelInstallOptions = {}): boolean {
  const dir = path.join(kernelsDir(opts), opts.name ?? KERNEL_NAME);
  const existed = fs.existsSync(path.join(dir, 'kernel.json'));
  fs.rmSync(dir, { recursive: true, force: true });
  return existed;
}
