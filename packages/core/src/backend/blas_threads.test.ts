import { afterAll, describe, expect, it } from 'vitest';
import { blasThreads, chooseBlasThreads, parseBlasThreads } from './blas_threads';
import { initBackend, shutdownBackend } from './init';
import { loadNative } from './native';

describe('BLAS threads', () => {
  afterAll(() => shutdownBackend());

  it('auto: all threads on an otherwise idle machine, 1 when other processes fill the cores', () => {
    expect(chooseBlasThreads(2, 2.1, 2, 2)).toBe(2); // only our own 2 threads
    expect(chooseBlasThreads(2, 0.3, 1, 2)).toBe(2);
    expect(chooseBlasThreads(2, 4.5, 2, 2)).toBe(1); // 2.5 runnable elsewhere
    expect(chooseBlasThreads(2, 1.8, 1, 2)).toBe(1); // a core busy elsewhere
    expect(chooseBlasThreads(1, 0, 1, 2)).toBe(1);
    expect(chooseBlasThreads(4, 5, 4, 8)).toBe(4);
  });

  it('parses settings and rejects bad ones clearly', () => {
    expect(parseBlasThreads('auto', 'x')).toBe('auto');
    expect(parseBlasThreads('2', 'x')).toBe(2);
    expect(() => parseBlasThreads('0', 'IGPG_BLAS_THREADS')).toThrow(/IGPG_BLAS_THREADS.*'auto' or a positive integer/);
    expect(() => parseBlasThreads(1.5, 'x')).toThrow(/positive integer/);
  });

  it('initBackend applies a fixed count to the native BLAS', async () => {
    const native = loadNative();
    const info = await initBackend({ backend: 'wasm', threads: 2, blasThreads: 1 });
    if (!native) return expect(info.blasThreads).toBeUndefined();
    expect(info.blasThreads).toBe(1);
    expect(blasThreads()).toEqual({ mode: 1, current: 1 });
    expect(native.addon.getThreads()).toBe(1);
    await expect(initBackend({ backend: 'wasm', blasThreads: 0 })).rejects.toThrow(/blasThreads/);
  });

  it('defaults to two threads (the tiled sgemm gives the same bits for any count)', async () => {
    const saved = process.env.IGPG_BLAS_THREADS;
    delete process.env.IGPG_BLAS_THREADS;
    try {
      const info = await initBackend({ backend: 'wasm', threads: 2 });
      if (!loadNative()) return expect(info.blasThreads).toBeUndefined();
      expect(info.blasThreads).toBe(2);
      expect(blasThreads().current).toBe(2);
      expect(loadNative()!.addon.getThreads()).toBe(2);
    } finally {
      if (saved !== undefined) process.env.IGPG_BLAS_THREADS = saved;
    }
  });
});
