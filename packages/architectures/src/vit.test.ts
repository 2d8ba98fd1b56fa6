import { describe, expect, it } from 'vitest';
import { countParams } from '@igpg/core';
import { vit } from './vit';
import { conformance } from './testing/suite';

describe('vit', () => {
  const spec = { inputShape: [8, 8, 1], classes: 4, patchSize: 4, dim: 8, depth: 2, heads: 2, mlpRatio: 2, pool: 'cls' as const };
  conformance(vit, spec);

  describe('mean pooling', () => {
    conformance(vit, { ...spec, pool: 'mean' as const, depth: 1 });
  });

  it('uses timm names and counts exactly', () => {
    const infos = vit.describe(spec);
    expect(infos.slice(0, 4).map((i) => i.name)).toEqual(['patch_embed.proj.weight', 'patch_embed.proj.bias', 'cls_token', 'pos_embed']);
    expect(infos.find((i) => i.name === 'pos_embed')!.shape).toEqual([1, 5, 8]); // 4 patches + cls
    // patch 4*4*1*8+8 = 136; cls 8; pos 40; per block: norms 32, qkv 216, proj 72, fc1 144, fc2 136 = 600; norm 16; head 36
    expect(countParams(infos)).toBe(136 + 8 + 40 + 2 * 600 + 16 + 36);
    expect(vit.describe({ ...spec, pool: 'mean' }).some((i) => i.name === 'fc_norm.weight')).toBe(true);
  });

  it('declares the MLP units, the heads, one within-head order and the residual stream, per block', () => {
    const { groups, unhandled } = vit.symmetry!(spec);
    expect(groups.map((g) => `${g.name}/${g.size}`)).toEqual([
      'stream/8', 'blocks.0.attn.heads/2', 'blocks.0.attn.headDim/4', 'blocks.0.mlp/16', 'blocks.1.attn.heads/2', 'blocks.1.attn.headDim/4', 'blocks.1.mlp/16',
    ]);
    expect(groups[1].axes).toEqual([
      { param: 'blocks.0.attn.qkv.weight', axis: 2, view: [8, 3, 2, 4] },
      { param: 'blocks.0.attn.qkv.bias', axis: 1, view: [3, 2, 4] },
      { param: 'blocks.0.attn.proj.weight', axis: 0, view: [2, 4, 8] },
    ]);
    expect(groups[0].axes.map((a) => a.param)).toContain('cls_token');
    expect(unhandled).toMatch(/within a head/);
  });

  it('rejects a patch size that does not divide the input', () => {
    expect(() => vit.describe({ ...spec, patchSize: 3 })).toThrow(/patchSize 3 must divide/);
  });
});
