import { describe, expect, it } from 'vitest';
import { liveCurves } from './live';
import { mimeBundle, PLOTLY_MIME, show } from './show';
import type { Figure } from './types';

describe('display adapters', () => {
  it('mimeBundle carries plotly JSON, an HTML fallback that draws with window.Plotly, and plain text', () => {
    const fig: Figure = { data: [{ type: 'bar', y: [1, 2] }], layout: { title: { text: 'x</script>y' } } };
    const b = mimeBundle(fig, 'd1');
    expect((b[PLOTLY_MIME] as Figure).data).toEqual(fig.data);
    const html = b['text/html'] as string;
    expect(html).toContain('id="d1"');
    expect(html).toContain('Plotly.react("d1"');
    expect(html).not.toMatch(/x<\/script>y/); // a title cannot close the script tag
    expect(b['text/plain']).toContain('x</script>y');
  });

  it('show() outside a kernel is a no-op; the bundle has the three MIME types', () => {
    expect(() => show({ data: [], layout: {} })).not.toThrow();
    expect(Object.keys(mimeBundle({ data: [], layout: {} }))).toEqual([PLOTLY_MIME, 'text/html', 'text/plain']);
  });
});

describe('liveCurves', () => {
  it('throttles redraws, redraws after the interval, and always draws the final state on close', () => {
    let t = 0;
    const drawn: Figure[] = [];
    const live = liveCurves({ throttleMs: 100, display: { update: (f) => drawn.push(f) }, now: () => t });
    live.push({ step: 0, loss: 1 }); // first push draws
    for (let s = 1; s < 10; s++) live.push({ step: s, loss: 1 / (s + 1) }); // same instant: throttled
    expect(drawn).toHaveLength(1);
    t = 150;
    live.push([{ step: 10, loss: 0.05 }, { step: 11, loss: 0.04 }]);
    expect(drawn).toHaveLength(2);
    live.push({ step: 12, loss: 0.03 });
    live.close();
    expect(drawn).toHaveLength(3);
    expect(live.redraws).toBe(3);
    expect((drawn[2].data[0] as { y: number[] }).y).toHaveLength(13);
    expect(() => live.push({ step: 13, loss: 0 })).toThrow(/after close/);
  });
});
