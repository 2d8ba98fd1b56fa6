import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countParams, defineArchitecture, getArchitecture, hasArchitecture, listArchitectures, registerArchitecture,
  unregisterArchitecture, validateSpec,
} from './architecture';
import { sharedRegistry } from './registry';
import { linearArch } from './testing-arch.fixture';
import { ValidationError } from '../util/config';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  for (const n of ['test-a', 'test-b', 'test-bad']) unregisterArchitecture(n);
});

describe('architecture registry', () => {
  it('registers, looks up and lists plugins', () => {
    const a = registerArchitecture(linearArch('test-a'));
    expect(getArchitecture('test-a')).toBe(a);
    expect(hasArchitecture('test-a')).toBe(true);
    expect(listArchitectures().map((p) => p.name)).toContain('test-a');
    expect(unregisterArchitecture('test-a')).toBe(true);
    expect(hasArchitecture('test-a')).toBe(false);
  });

  it('rejects a duplicate name clearly', () => {
    registerArchitecture(linearArch('test-a'));
    expect(() => registerArchitecture(linearArch('test-a'))).toThrow(/architecture "test-a" is already registered/);
  });

  it('lists the registered names when a name is unknown', () => {
    registerArchitecture(linearArch('test-a'));
    registerArchitecture(linearArch('test-b'));
    expect(() => getArchitecture('nope')).toThrow(/unknown architecture "nope"; registered: .*test-a, test-b/);
  });

  it('lives on globalThis so duplicate module copies share it', () => {
    registerArchitecture(linearArch('test-a'));
    const copy = sharedRegistry<{ name: string }>('architecture'); // what a second copy of this module would create
    expect(copy.has('test-a')).toBe(true);
  });
});

describe('defineArchitecture', () => {
  it('validates specs: fills defaults, names path and rule on violations', () => {
    const arch = linearArch();
    expect(validateSpec(arch, { inputShape: [3], classes: 2 })).toEqual({ inputShape: [3], classes: 2, scale: 1 });
    expect(() => validateSpec(arch, { inputShape: [3], classes: 1 })).toThrow(ValidationError);
    expect(() => validateSpec(arch, { inputShape: [3], classes: 1 })).toThrow(/\/classes: must be >= 2/);
    expect(() => arch.build({ inputShape: [3], classes: 2, colour: 'red' } as never, 1)).toThrow(/\/: unknown key "colour"/);
    expect(() => arch.describe({ inputShape: [0], classes: 2 } as never)).toThrow(/\/inputShape\/0: must be >= 1/);
  });

  it('checks the plugin fields and the seed', () => {
    expect(() => defineArchitecture({ ...linearArch(), name: 'Bad Name' })).toThrow(/lowercase/);
    expect(() => defineArchitecture({ ...linearArch(), build: undefined as never })).toThrow(/build must be a function/);
    expect(() => linearArch().build({ inputShape: [3], classes: 2 } as never, 1.5)).toThrow(/seed must be an integer/);
  });

  it('catches a build() whose parameters disagree with describe()', () => {
    const base = linearArch();
    const bad = defineArchitecture({ ...base, name: 'test-bad', describe: (s) => base.describe(s).slice(0, 1) });
    const before = tf.memory().numTensors;
    expect(() => bad.build({ inputShape: [3], classes: 2 } as never, 1)).toThrow(/made 2 parameters but describe\(\) lists 1/);
    expect(tf.memory().numTensors).toBe(before); // the rejected network is disposed
  });

  it('counts parameters', () => {
    expect(countParams(linearArch().describe({ inputShape: [5], classes: 3 } as never))).toBe(18);
  });
});
