import * as path from 'node:path';

/**
 * Load plugin modules and call their registration function: `register()`, else every export named
 * `registerBuiltin*()`. Registering what is already registered is not an error here (plugins may be
 * loaded by the caller too).
 * @example await loadPlugins(['@igpg/architectures', '@igpg/datasets']);
 */
export async function loadPlugins(specifiers: string[], load: (s: string) => Promise<unknown> = importOrRequire): Promise<void> {
  for (const spec of specifiers) {
    let mod: Record<string, unknown>;
    try {
      mod = (await load(spec.startsWith('.') ? path.resolve(spec) : spec)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`cannot load plugin "${spec}": ${(e as Error).message}`);
    }
    const m = (mod.default && typeof mod.default === 'object' ? { ...(mod.default as object), ...mod } : mod) as Record<string, unknown>;
    const fns = typeof m.register === 'function' ? [m.register] : Object.entries(m).filter(([k, v]) => /^registerBuiltin/.test(k) && typeof v === 'function').map(([, v]) => v);
    if (!fns.length) throw new Error(`plugin "${spec}" exports no register() or registerBuiltin*() function`);
    for (const fn of fns) {
      try {
        (fn as () => void)();
      } catch (e) {
        if (!/already registered/.test((e as Error).message)) throw e;
      }
    }
  }
}

// import() is what works under vitest (aliases) and for ESM plugins; require() is what sees the
// source aliases below (tsx, forked workers).
async function importOrRequire(spec: string): Promise<unknown> {
  try {
    return await import(spec);
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return require(spec);
    throw e;
  }
}

/**
 * When this code runs from TypeScript sources (tests, tsx), resolve `@igpg/<pkg>` to `packages/<pkg>/src/index.ts`
 * so a forked worker uses the same sources as its parent instead of a possibly stale dist/.
 */
export function aliasWorkspaceSources(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const packages = path.resolve(__dirname, '../../..');
  const orig = Module._resolveFilename;
  Module._resolveFilename = function (request: string, ...rest: unknown[]) {
    const m = /^@igpg\/([a-z-]+)$/.exec(request);
    return orig.call(this, m ? path.join(packages, m[1], 'src', 'index.ts') : request, ...rest);
  };
}
