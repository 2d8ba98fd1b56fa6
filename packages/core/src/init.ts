import { initBackend, type BackendInfo, type InitBackendOptions } from './backend/init';
import { loadPlugins } from './zoo/plugins';

/** The plugin packages `init()` registers by default: the built-in architectures and datasets. */
const BUILTIN_PLUGIN_PACKAGES = ['@igpg/architectures', '@igpg/datasets'];

export interface InitOptions extends InitBackendOptions {
  /** Plugin modules to register (default BUILTIN_PLUGIN_PACKAGES); [] registers none. */
  plugins?: string[];
}

/**
 * Everything a script needs before it can generate: registers the built-in architectures and datasets (or the
 * `plugins` given) and starts the backend. The fine-grained calls (`registerBuiltinArchitectures()`,
 * `registerBuiltinDatasets()`, `initBackend()`) stay available. Idempotent. The process still exits by itself
 * when the script is done (no shutdownBackend() needed).
 * @example
 * import * as igpg from '@igpg/core';
 * await igpg.init();
 * const net = igpg.getArchitecture('cnn-s').build({ inputShape: [28, 28, 1], classes: 10 }, 1);
 */
export async function init(options: InitOptions = {}): Promise<BackendInfo> {
  const { plugins = BUILTIN_PLUGIN_PACKAGES, ...backend } = options;
  try {
    await loadPlugins(plugins);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(/cannot find module|ERR_MODULE_NOT_FOUND/i.test(msg) ? `init: ${msg.split('\n')[0]}; install it (npm install ${plugins.join(' ')}) or pass init({ plugins: [...] })` : `init: ${msg}`);
  }
  return initBackend(backend);
}
