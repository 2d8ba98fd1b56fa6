import { describe, expect, it } from 'vitest';
import { countParams } from '@igpg/core';
import { resnet } from './resnet';
import { conformance } from './testing/suite';

describe('resnet', () => {
  const spec = { inputShape: [12, 12, 1], classes: 10, stem: 4, stages: [{ blocks: 2, channels: 4 }, { blocks: 1, channels: 8 }], activation: 'relu' as const };
  conformance(resnet, spec);

  describe('two blocks per stage, a stride-1 shortcut after the stem, tanh', () => {
    conformance(resnet, { inputShape: [8, 8, 2], classes: 3, stem: 3, stages: [{ blocks: 2, channels: 4 }, { blocks: 2, channels: 6 }], activation: 'tanh' as const });
  });

  it('ties the residual stream across each segment and gives every block its internal channels', () => {
    const { groups } = resnet.symmetry!(spec);
    expect(groups.map((g) => `${g.name}/${g.size}`)).toEqual(['stem/4', 'stages.0.0.conv1/4', 'stages.0.1.conv1/4', 'stages.1.0.conv1/8', 'stages.1.0.shortcut/8']);
    const axes = (name: string) => groups.find((g) => g.name === name)!.axes.map((a) => `${a.param}:${a.axis}`);
    expect(axes('stem')).toEqual([
      'stem.weight:3', 'stem.bias:0',
      'stages.0.0.conv1.weight:2', 'stages.0.0.conv2.weight:3', 'stages.0.0.conv2.bias:0',
      'stages.0.1.conv1.weight:2', 'stages.0.1.conv2.weight:3', 'stages.0.1.conv2.bias:0',
      'stages.1.0.conv1.weight:2', 'stages.1.0.shortcut.weight:2',
    ]);
    expect(axes('stages.1.0.shortcut')).toEqual(['stages.1.0.shortcut.weight:3', 'stages.1.0.shortcut.bias:0', 'stages.1.0.conv2.weight:3', 'stages.1.0.conv2.bias:0', 'head.weight:0']);
    expect(axes('stages.0.1.conv1')).toEqual(['stages.0.1.conv1.weight:3', 'stages.0.1.conv1.bias:0', 'stages.0.1.conv2.weight:2']);
  });

  it('adds a 1x1 shortcut only where the shape changes, and counts exactly', () => {
    const infos = resnet.describe(spec);
    expect(infos.filter((i) => i.name.endsWith('shortcut.weight')).map((i) => i.name)).toEqual(['stages.1.0.shortcut.weight']);
    // stem 3*3*1*4+4 = 40; 2 blocks of 2 convs 4->4: 4*(144+4) = 592; block 4->8: 296 + 584 + shortcut 40; head 8*10+10 = 90
    expect(countParams(infos)).toBe(40 + 592 + 296 + 584 + 40 + 90);
    expect(infos[infos.length - 1].layer).toBe(8); // stem 0, block convs 1-6, shortcut 7, head 8
  });

  it('summarises the stages', () => {
    expect(resnet.summary(spec)).toBe('a ResNet with 3 residual blocks in 2 stages of 4 and 8 channels, 1,642 parameters, on 12×12×1 inputs with 10 classes');
  });

  it('rejects an unknown key inside a stage', () => {
    expect(() => resnet.describe({ ...spec, stages: [{ blocks: 1, channels: 4, width: 2 }] } as never)).toThrow(/\/stages\/0: unknown key "width"/);
  });
});
