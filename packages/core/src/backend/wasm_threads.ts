import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { KernelBackend } from '@tensorflow/tfjs-core';
import { unrefPool, withoutGlueHandlers, type PThreadPool } from './process_hooks';

/*
 * Multi-threaded tfjs wasm backend in Node. tfjs 4.22 turns wasm threads off in Node
 * (tfjs issue #3830) because it hands the pthread worker script over as a Blob URL, which
 * Node's Worker cannot load. Here the Emscripten module is created directly with
 *  - `locateFile` returning a real file holding the worker script, and
 *  - `mainScriptUrlOrBlob` set to the glue file's path (the worker `importScripts` it),
 * then wrapped in the package's own BackendWasm. The C++ side sizes its thread pool from
 * the logical core count halved (meant for hyper-threads), so the glue's
 * `require('os').cpus()` is padded while the module starts to get `threads` threads.
 */

const requireHere = createRequire(__filename);

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: unknown[]) => unknown;
  PThread?: PThreadPool;
  [key: string]: unknown;
}

function packageDir(): string {
  return path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
}

/** Write the pthread worker script to a real file (once per process; atomic rename). */
function workerScriptFile(dir: string): string {
  const { wasmWorkerContents } = requireHere(path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The package escapes '\n' the same way before making its Blob.
  const contents = wasmWorkerContents.replace(/\n/g, '\\n');
  const version = (requireHere(path.join(dir, 'package.json')) as { version: string }).version;
  const file = path.join(os.tmpdir(), `igpg-tfjs-wasm-${version}-worker-${process.getuid?.() ?? 0}.js`);
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== contents) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, contents);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Does this Node have what threaded wasm needs (SharedArrayBuffer, worker_threads)? */
export function wasmThreadsSupported(): boolean {
  try {
    const wasm = (globalThis as { WebAssembly?: { Memory: new (d: object) => unknown } }).WebAssembly;
    if (wasm === undefined) return false;
    new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    requireHere('node:worker_threads');
    return true;
  } catch {
    return false;
  }
}

/**
 * Create a BackendWasm running the threaded-SIMD binary with `threads` threads.
 * Returns the backend and a `terminate` that stops its worker threads.
 */
export async function createThreadedWasmBackend(threads: number): Promise<{ backend: KernelBackend; terminate: () => void; actualThreads: number }> {
  const dir = packageDir();
  const glue = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const binary = path.join(dir, 'wasm-out/tfjs-backend-wasm-threaded-simd.wasm');
  const worker = workerScriptFile(dir);
  const factory = requireHere(glue) as (config: object) => Promise<EmscriptenModule>;
  const wasmPkg = requireHere('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (module: EmscriptenModule) => KernelBackend;
    setThreadsCount(n: number): void;
    getThreadsCount(): number;
  };
  // The real module object (an `import * as` namespace is a copy), shared with the glue's
  // require('os'). Padded from before the module starts until the thread pool exists.
  const realOs = requireHere('node:os') as { cpus: typeof os.cpus };
  const cpus = realOs.cpus;
  realOs.cpus = () => {
    const list = cpus();
    while (list.length < 2 * threads && list.length > 0) list.push(list[0]);
    return list;
  };
  try {
    const module = await withoutGlueHandlers(() => factory({
      locateFile: (p: string, prefix: string) => (p.endsWith('.worker.js') ? worker : p.endsWith('.wasm') ? binary : prefix + p),
      mainScriptUrlOrBlob: glue,
    }));
    if (module.PThread) unrefPool(module.PThread);
    module.tfjs = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    wasmPkg.setThreadsCount(threads);
    const backend = new wasmPkg.BackendWasm(module);
    return { backend, terminate: () => module.PThread?.terminateAllThreads(), actualThreads: wasmPkg.getThreadsCount() };
  } finally {
    realOs.cpus = cpus;
  }
}
