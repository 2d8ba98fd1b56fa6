import type { Page } from 'playwright-core';
import type { Figure } from './types';

/*
 * What a figure gets wrong once it is drawn, found in the drawn SVG: text cut off at the image edge, the legend
 * over the title or an axis title, an axis title over tick labels, a y axis without a title, a category axis that
 * skips labels. Issue #14 found each of these by looking; the tests render every shipped figure through this.
 */

/** One drawn box in image pixels. */
interface Box { what: string; x0: number; y0: number; x1: number; y1: number }

const overlap = (a: Box, b: Box, tol = 1) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > tol && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > tol;

/**
 * Draw `fig` at `width` x `height` in a page that has plotly.js (newPlotlyPage) and list its layout problems
 * (an empty list when there are none). Used by the tests (layoutCheck.test.ts) on every figure the repository ships.
 */
export async function layoutProblems(page: Page, fig: Figure, size: { width: number; height: number }): Promise<string[]> {
  const drawn = await page.evaluate(async ({ fig, size }) => {
    const g = globalThis as any; // runs in the page
    const div = g.document.getElementById('layout-check') ?? g.document.body.appendChild(Object.assign(g.document.createElement('div'), { id: 'layout-check' }));
    await g.Plotly.newPlot(div, fig.data, { ...fig.layout, ...size }, { staticPlot: true });
    const svg = div.querySelector('.main-svg').getBoundingClientRect();
    const box = (el: any, what: string) => {
      const r = el.getBoundingClientRect();
      return { what, x0: r.left - svg.left, y0: r.top - svg.top, x1: r.right - svg.left, y1: r.bottom - svg.top };
    };
    const texts = (sel: string, name: (el: any) => string) => [...div.querySelectorAll(sel)].filter((el: any) => el.textContent.trim() && el.getBoundingClientRect().width > 0).map((el: any) => box(el, name(el)));
    const full = div._fullLayout;
    const axes = Object.keys(full).filter((k) => /^[xy]axis\d*$/.test(k) && full[k].visible !== false && full[k].showticklabels !== false);
    return {
      title: texts('.g-gtitle text', () => 'title'),
      axisTitles: texts('.infolayer text[class$="title"]:not(.gtitle):not(.cbtitle)', (el) => `${el.getAttribute('class')} "${el.textContent}"`),
      ticks: texts('.cartesianlayer [class$="tick"] > text', (el) => `tick "${el.textContent}"`),
      colorbarTicks: texts('.colorbar [class$="tick"] > text', (el) => `colour bar tick "${el.textContent}"`),
      legend: [...div.querySelectorAll('.legend')].map((el: any) => box(el, 'legend')),
      // (full layout titles default to a "Click to enter" placeholder: ask the drawing instead)
      untitledY: axes.filter((k) => k.startsWith('y') && !div.querySelector(`.g-${k.replace('axis', '')}title text`)?.textContent.trim()),
      categories: axes.filter((k) => full[k].type === 'category').map((k) => ({
        axis: k, n: full[k]._categories.length,
        shown: div.querySelectorAll(`.cartesianlayer .${k.replace('axis', '')}tick > text`).length,
      })),
    };
  }, { fig, size });
  const problems: string[] = [];
  const all: Box[] = [...drawn.title, ...drawn.axisTitles, ...drawn.ticks, ...drawn.colorbarTicks, ...drawn.legend];
  for (const b of all) {
    if (b.x0 < -1 || b.y0 < -1 || b.x1 > size.width + 1 || b.y1 > size.height + 1) problems.push(`${b.what} is cut off at the image edge`);
  }
  for (const l of drawn.legend) for (const t of [...drawn.title, ...drawn.axisTitles]) if (overlap(l, t)) problems.push(`the legend covers ${t.what}`);
  for (const a of drawn.axisTitles) {
    for (const t of [...drawn.title, ...drawn.ticks]) if (overlap(a, t)) problems.push(`${a.what} overlaps ${t.what}`);
  }
  for (const y of drawn.untitledY) problems.push(`${y} has no title`);
  for (const c of drawn.categories) if (c.shown < c.n) problems.push(`${c.axis} shows ${c.shown} of its ${c.n} category labels`);
  return [...new Set(problems)];
}
