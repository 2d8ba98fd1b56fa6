import { describe, expect, it } from 'vitest';
import { launchChromium, newPlotlyPage } from './browser';
import { codebookView, summarizeCodebook, type CodebookViewData } from './codebookView';

const pos = (layer: number, chunk: number) => ({ layer, layers: 2, role: 'kernel', tensor: `l${layer}.weight`, offset: chunk * 4, chunk });
const data: CodebookViewData = {
  codebookSize: 4,
  chunks: [
    { network: 'n1', task: 'mnist', position: pos(0, 0), codes: [1, 2] },
    { network: 'n1', task: 'mnist', position: pos(1, 1), codes: [2, 2] },
    { network: 'n2', task: 'iris', position: pos(0, 0), codes: [3, 2] },
  ],
  decoded: [[0, 0], [1, 1], [0.5, -0.5], [2, 2]],
};

describe('codebook view', () => {
  it('summarizes usage per code, layer and task, and where each code occurs', () => {
    const s = summarizeCodebook(data);
    expect(s.counts).toEqual([0, 1, 4, 1]);
    expect(s.perLayer).toEqual([[0, 1, 2, 1], [0, 0, 2, 0]]);
    expect(s.tasks).toEqual(['iris', 'mnist']);
    expect(s.perTask).toEqual([[0, 0, 1, 1], [0, 1, 3, 0]]);
    expect(s.occurrences[3]).toEqual([{ network: 'n2', layer: 0, tensor: 'l0.weight', chunk: 0, offset: 0 }]);
    expect(() => summarizeCodebook({ ...data, codebookSize: 2, decoded: undefined })).toThrow(/code 2, outside \[0, 2\)/);
    expect(() => summarizeCodebook({ ...data, decoded: [[1]] })).toThrow(/decoded has 1 rows/);
  });

  it('in Chromium: clicking a bar selects the code; the layer filter narrows usage and the chunk list', async () => {
    const chrome = await launchChromium();
    try {
      const page = await newPlotlyPage(chrome.browser);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.evaluate((html) => {
        const d = document.createElement('div');
        d.innerHTML = html;
        document.body.appendChild(d);
        d.querySelectorAll('script').forEach((old) => { const s = document.createElement('script'); s.textContent = old.textContent; old.replaceWith(s); });
      }, codebookView(data, { id: 'cb' }));
      await page.waitForFunction(() => (window as any).__igpgCodebook?.cb?.selected() === 2); // starts on the most used code
      expect(await page.textContent('#cb-info')).toContain('code 2: 4 uses in 2 layers');
      const bar = await page.locator('#cb-usage .bars .point path').nth(3).boundingBox();
      await page.mouse.click(bar!.x + bar!.width / 2, bar!.y + bar!.height / 2); // a real click on code 3's bar
      await page.waitForFunction(() => (window as any).__igpgCodebook.cb.selected() === 3);
      expect(await page.locator('#cb-where tr').count()).toBe(2); // header + one chunk
      expect(await page.textContent('#cb-where')).toContain('n2');
      const pattern = await page.evaluate(() => (document.getElementById('cb-pattern') as any).data[0].y);
      expect(pattern).toEqual([2, 2]);
      await page.selectOption('#cb-layer', '1');
      const usage = await page.evaluate(() => (document.getElementById('cb-usage') as any).data[0].y);
      expect(usage).toEqual([0, 0, 2, 0]);
      expect(await page.locator('#cb-where tr').count()).toBe(1); // code 3 is not used in layer 1
      expect(errors).toEqual([]);
    } finally {
      await chrome.close();
    }
  });
});
