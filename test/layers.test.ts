// Nothing imports upward. Every import in the packages' sources (tests excepted: a test may drive its module from
// above) is checked against two orders below: packages, and the units of @igpg/core (a folder under src/, or a file
// directly in it). A module may import its own unit and those listed before it, never one listed after it. A new
// folder or top-level file in core goes into CORE_LAYERS where it belongs in the pipeline (CONTRIBUTING.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

/** Packages, lowest first: core imports no other @igpg package, plugins import only core, the CLI sits on top. */
const PACKAGE_LAYERS: string[][] = [['core'], ['architectures', 'datasets'], ['kernel-plugin'], ['cli']];

/** @igpg/core's units, lowest first: the layer under everything, then the stages in pipeline order, then entry points. */
const CORE_LAYERS = [
  'util', 'rng', 'sdk', 'io', 'backend', 'nn', 'train',
  'zoo', 'queue', 'tokenizer', 'canon', 'encoders', 'class-order', 'sampler', 'vqvae', 'codec', 'codec-check', 'prior', 'generate', 'pipeline', 'eval',
  'worker', 'init', 'index',
];

const isTest = (f: string) => /\.test\.ts$/.test(f);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !isTest(e.name) ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic (`import('…')`, `require('…')`). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The core unit a file under packages/core/src belongs to: its first folder, or its own name. */
function coreUnit(file: string): string {
  const rel = path.relative(path.join(root, 'packages/core/src'), file).split(path.sep);
  return rel.length > 1 ? rel[0] : rel[0].replace(/\.ts$/, '');
}

const packageRank = (name: string) => PACKAGE_LAYERS.findIndex((layer) => layer.includes(name));

describe('nothing imports upward', () => {
  const packages = fs.readdirSync(path.join(root, 'packages')).filter((p) => fs.existsSync(path.join(root, 'packages', p, 'src')));

  it('every package is in PACKAGE_LAYERS, and every core unit in CORE_LAYERS', () => {
    expect(packages.filter((p) => packageRank(p) < 0)).toEqual([]);
    const units = [...new Set(sources(path.join(root, 'packages/core/src')).map(coreUnit))];
    expect(units.filter((u) => !CORE_LAYERS.includes(u))).toEqual([]);
  });

  it('a package imports only packages below it, and only through their index (no deep imports)', () => {
    const bad: string[] = [];
    for (const pkg of packages) {
      for (const file of sources(path.join(root, 'packages', pkg, 'src'))) {
        for (const spec of importsOf(file)) {
          const m = /^@igpg\/([^/]+)(\/.*)?$/.exec(spec);
          if (!m) continue;
          const where = `${path.relative(root, file)} imports ${spec}`;
          if (m[1] !== pkg && packageRank(m[1]) >= packageRank(pkg)) bad.push(`${where} (not below ${pkg})`);
          if (m[2]) bad.push(`${where} (reaches into another package's internals)`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('a core module imports only its own unit and the units listed before it', () => {
    const src = path.join(root, 'packages/core/src');
    const bad: string[] = [];
    for (const file of sources(src)) {
      const from = coreUnit(file);
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(src + path.sep)) { bad.push(`${path.relative(root, file)} imports ${spec} (outside src/)`); continue; }
        const to = coreUnit(target.endsWith('.ts') || fs.existsSync(target) ? target : `${target}.ts`);
        if (to !== from && CORE_LAYERS.indexOf(to) > CORE_LAYERS.indexOf(from)) bad.push(`${path.relative(root, file)} (${from}) imports ${spec} (${to}, a higher layer)`);
      }
    }
    expect(bad).toEqual([]);
  });
});
