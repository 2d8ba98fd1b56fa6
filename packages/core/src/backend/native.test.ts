import { afterEach, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

describe('native addon loader', () => {
  const saved = process.env.IGPG_NATIVE;
  afterEach(() => {
    if (saved === undefined) delete process.env.IGPG_NATIVE;
    else process.env.IGPG_NATIVE = saved;
  });

  it('refuses an addon built from an older igpg_native.c (names what is missing), falling back to plain wasm', async () => {
    // an "addon" with every function but decodeAttention, as an addon built before that function was added
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igpg-native-'));
    const file = path.join(dir, 'old-addon.js');
    const names = ['sgemm', 'sgemmTiles', 'setThreads', 'getThreads', 'gelu', 'geluGrad', 'adam', 'layerNorm', 'layerNormGrad', 'causalSoftmax', 'causalSoftmaxGrad', 'clockGhz', 'colSum', 'softmaxXent', 'softmaxXentGrad', 'residualQuantize', 'emaLevel', 'emaRestart', 'im2col', 'col2im', 'maxPool', 'tanh'];
    fs.writeFileSync(file, names.map((n) => `exports.${n} = () => {};`).join('\n'));
    process.env.IGPG_NATIVE = file;
    vi.resetModules(); // a fresh loader: loadNative caches its answer per module instance
    const { loadNative } = await import('./native');
    const log: string[] = [];
    expect(loadNative((s) => log.push(s))).toBeNull();
    expect(log.join('\n')).toMatch(/out of date \(no decodeAttention\).*npm run build:native/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
