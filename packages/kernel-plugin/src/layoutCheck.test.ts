// Every figure the repository ships (README figures, the evaluation report's plots) drawn in headless Chromium at
// the size it is rendered to, and checked for what issue #14 found by looking: clipped labels, a legend over a
// title, axis titles over ticks, untitled y axes, skipped category labels. Plus figures broken on purpose, so the
// check itself is known to catch each problem.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFigures, type EvalResults } from '@igpg/core';
import { launchChromium, newPlotlyPage } from './browser';
import { buildReadmeFigures } from './readmeFigures';
import { layoutProblems } from './layoutCheck';
import type { Figure } from './types';

const root = path.resolve(__dirname, '../../..');
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
beforeAll(async () => {
  chrome = await launchChromium();
  page = await newPlotlyPage(chrome.browser);
}, 60_000);
afterAll(() => chrome?.close());

/** The size renderPng draws a figure at: 900 wide, the figure's own height. */
const check = (fig: Figure) => layoutProblems(page, fig, { width: 900, height: Number(fig.layout.height ?? 480) });

describe('figure layout check', () => {
  it('catches a legend over the title, a clipped tick label, an untitled y axis and skipped category labels', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `a rather long category name ${i}`);
    const bad: Figure = {
      data: [1, 2, 3, 4].map((k) => ({ type: 'bar', name: `series number ${k} with a long name`, x: names, y: names.map(() => k) })),
      layout: { title: { text: 'A title the legend will cover' }, height: 400, margin: { t: 40, l: 10, b: 40 }, legend: { orientation: 'h', x: 0, y: 1.0, yanchor: 'bottom' },
        xaxis: { tickangle: -30 } },
    };
    const problems = await check(bad);
    expect(problems.some((p) => /^the legend covers title/.test(p)), problems.join('\n')).toBe(true);
    expect(problems.some((p) => /cut off at the image edge/.test(p)), problems.join('\n')).toBe(true);
    expect(problems).toContain('yaxis has no title');
    expect(problems.some((p) => /^xaxis shows \d+ of its 60 category labels/.test(p)), problems.join('\n')).toBe(true);
    const good: Figure = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: { title: { text: 'fine' }, xaxis: { title: { text: 'x' } }, yaxis: { title: { text: 'y (units)' } } } };
    expect(await check(good)).toEqual([]);
  }, 60_000);

  it('the README figures (report/figures) have none of these problems', async () => {
    const { figs, missing } = buildReadmeFigures({}, root);
    expect(missing).toEqual([]);
    expect(Object.keys(figs).sort()).toEqual(['accuracy', 'codebook-usage', 'perplexity', 'token-grid', 'training']);
    for (const [name, fig] of Object.entries(figs)) expect(await check(fig), name).toEqual([]);
  }, 120_000);

  it("the evaluation report's plots (report/plots) have none of these problems", async () => {
    const results = JSON.parse(fs.readFileSync(path.join(root, 'report/results.json'), 'utf8')) as EvalResults;
    const figs = reportFigures(results);
    expect(Object.keys(figs).sort()).toEqual(['accuracy', 'conditioning', 'memorization']);
    for (const [name, fig] of Object.entries(figs)) expect(await check(fig as Figure), name).toEqual([]);
  }, 120_000);
});
