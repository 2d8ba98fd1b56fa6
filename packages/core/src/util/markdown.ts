// Markdown tables are laid out by markdown-table. Version 2 is pinned: it is CommonJS like this package, while
// version 3 is ESM-only, which CommonJS can load only through an async import (or Node's require(esm), which warns).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const markdownTable = require('markdown-table') as (rows: string[][], options?: { alignDelimiters?: boolean }) => string;

/** '|' inside a cell would end it: markdown-table leaves cells as they are, so escape it here. */
const cell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * A GitHub markdown table (header row, delimiter row, rows), cells not padded to a common width so that a changed
 * number changes one line of a diff.
 * @example mdTable(['task', 'accuracy'], [['mnist:all', '97.1']]) // '| task | accuracy |\n| - | - |\n| mnist:all | 97.1 |'
 */
export function mdTable(head: string[], rows: string[][]): string {
  return markdownTable([head, ...rows].map((r) => r.map(cell)), { alignDelimiters: false });
}
