import { describe, expect, it } from 'vitest';
import { countParams } from '@igpg/core';
import { cnnL, cnnS } from './cnn';
import { conformance } from './testing/suite';

describe('cnn-s', () => {
  conformance(cnnS, { inputShape: [28, 28, 1], classes: 10 } as never, { params: 2464 });

  it('has exactly 2,464 parameters on 28x28x1 and 2,864 on 28x28x3 (Schürholt et al.)', () => {
    expect(countParams(cnnS.describe({ inputShape: [28, 28, 1], classes: 10 } as never))).toBe(2464);
    expect(countParams(cnnS.describe({ inputShape: [28, 28, 3], classes: 10 } as never))).toBe(2864);
    expect(cnnS.summary({ inputShape: [28, 28, 1], classes: 10 } as never)).toBe(
      'a 3-layer CNN (CNN-s) with 8, 6 and 4 channels and a 20-unit hidden layer, 2,464 parameters, on 28×28×1 inputs with 10 classes',
    );
  });

  it('marks fc1 as fed by the flattened 3x3x4 map (for the PyTorch layout)', () => {
    const fc1 = cnnS.describe({ inputShape: [28, 28, 1], classes: 10 } as never).find((i) => i.name === 'fc1.weight')!;
    expect(fc1.shape).toEqual([36, 20]);
    expect(fc1.flattenedFrom).toEqual([3, 3, 4]);
  });

  it('rejects kernels that do not fit the input, naming the layer', () => {
    expect(() => cnnS.describe({ inputShape: [6, 6, 1], classes: 10 } as never)).toThrow(/conv2: a 5x5 kernel does not fit/);
  });
});

describe('cnn-l', () => {
  conformance(cnnL, { inputShape: [32, 32, 3], classes: 10 } as never, { params: 10853 });

  it('has exactly 10,853 parameters on 32x32x3 (Schürholt et al.) and 9,665 on 28x28x1', () => {
    expect(countParams(cnnL.describe({ inputShape: [32, 32, 3], classes: 10 } as never))).toBe(10853);
    expect(countParams(cnnL.describe({ inputShape: [28, 28, 1], classes: 10 } as never))).toBe(9665);
  });
});
