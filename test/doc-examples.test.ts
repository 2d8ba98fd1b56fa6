// Every `@example` in the packages' doc comments is type-checked against the built packages' public API, so an
// example cannot call a function that does not exist or pass arguments a function does not take.
// Examples are fragments: names they do not define (net, x, dir, ...) are placeholders and type-check as
// anything, except a free name that is CALLED and named like an API function (`writeSafetensorsWeights(...)`,
// not `loss()`): that is a function the example expects the API to have, and it must exist.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const PACKAGES = ['core', 'architectures', 'datasets', 'kernel-plugin']; // import precedence when names collide

function sources(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

/** Each `@example` block of each doc comment: its text (comment stars stripped) and where it is. */
function extractExamples(file: string): { where: string; file: string; code: string }[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: { where: string; file: string; code: string }[] = [];
  for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = m[1].split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
    let current: string[] | undefined;
    let line = text.slice(0, m.index).split('\n').length;
    const flush = () => current && current.join('\n').trim() && out.push({ where: `${path.relative(root, file)}:${line}`, file, code: current.join('\n') });
    lines.forEach((l, i) => {
      const tag = /^@(\w+)\s?(.*)$/.exec(l.trim());
      if (tag) {
        flush();
        current = tag[1] === 'example' ? [tag[2]] : undefined;
        line = text.slice(0, m.index).split('\n').length + i;
      } else if (current) current.push(l);
    });
    flush();
  }
  return out;
}

describe('doc examples', () => {
  it('every @example type-checks against the public API', () => {
    const examples = PACKAGES.flatMap((p) => sources(path.join(root, 'packages', p, 'src')).flatMap(extractExamples));
    expect(examples.length).toBeGreaterThan(50);
    // the names each package exports, from its built .d.ts
    const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, skipLibCheck: true, types: ['node'], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
    const host = ts.createCompilerHost(options);
    const probe = ts.createProgram(PACKAGES.map((p) => path.join(root, 'packages', p, 'dist/index.d.ts')), options, host);
    const checker = probe.getTypeChecker();
    const taken = new Set(['tf', 'fs', 'path']);
    const imports = ["import * as tf from '@tensorflow/tfjs-core';", "import * as fs from 'node:fs';", "import * as path from 'node:path';"];
    for (const p of PACKAGES) {
      const sf = probe.getSourceFile(path.join(root, 'packages', p, 'dist/index.d.ts'));
      expect(sf, `packages/${p}/dist/index.d.ts: run npm run build`).toBeDefined();
      const names = checker.getExportsOfModule(checker.getSymbolAtLocation(sf!)!).map((s) => s.name).filter((n) => n !== 'default' && !taken.has(n));
      names.forEach((n) => taken.add(n));
      imports.push(`import { ${names.join(', ')} } from '@igpg/${p}';`);
    }
    // one module for all examples that bring no imports of their own (each in its own function), one per other
    const modules = new Map<string, { text: string; spans: { from: number; to: number; i: number }[] }>();
    const shared: string[] = [...imports, 'export {};'];
    const spans: { from: number; to: number; i: number }[] = [];
    examples.forEach((e, i) => {
      const m = exampleModule(e, publicNamesOf(taken), i);
      if (m.imports.length) {
        const text = [...m.imports, 'export {};', ...m.body].join('\n');
        modules.set(path.join(root, `__example_${i}.ts`), { text, spans: [{ from: 0, to: Infinity, i }] });
      } else {
        spans.push({ from: shared.length + 1, to: shared.length + m.body.length, i });
        shared.push(...m.body);
      }
    });
    modules.set(path.join(root, '__examples.ts'), { text: shared.join('\n'), spans });
    const read = host.readFile.bind(host);
    host.readFile = (f) => modules.get(f)?.text ?? read(f);
    host.fileExists = ((exists) => (f: string) => modules.has(f) || exists(f))(host.fileExists.bind(host));
    const getSf = host.getSourceFile.bind(host);
    host.getSourceFile = (f, lang) => (modules.has(f) ? ts.createSourceFile(f, modules.get(f)!.text, lang, true) : getSf(f, lang));
    const program = ts.createProgram([...modules.keys()], options, host, probe); // reuses the parsed .d.ts files
    const problems: string[] = [];
    for (const [f, mod] of modules) {
      const sf = program.getSourceFile(f)!;
      for (const d of ts.getPreEmitDiagnostics(program, sf)) {
        const msg = ts.flattenDiagnosticMessageText(d.messageText, ' ');
        // cannot find name (2582/2593: one that looks like a test runner's), shorthand of an unknown name: a placeholder ...
        const free = [2304, 2552, 2663, 2582, 2593, 18004].includes(d.code);
        const node = d.start !== undefined ? findNode(sf, d.start) : undefined;
        // ... unless it is called and named like an API function (two or more words: writeSafetensorsWeights, not loss)
        const called = node?.parent !== undefined && ts.isCallExpression(node.parent) && node.parent.expression === node && /^[a-z]+[A-Z]/.test(node.getText(sf)) && !/^(my|your)[A-Z]/.test(node.getText(sf)); // myQuantizer: the reader's own
        if (free && !called) continue;
        if ([1375, 1378, 2451, 6133, 7006].includes(d.code)) continue; // top-level await, redeclared or implicitly-any placeholders, unused
        const line = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        const ex = examples[(mod.spans.find((sp) => line >= sp.from && line <= sp.to) ?? mod.spans[0]).i];
        problems.push(`${ex.where}: ${msg}\n    ${ex.code.split('\n').join('\n    ')}`);
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

const ownNames = new Map<string, string[]>();
/** Top-level names of the package a file belongs to (functions, consts, classes), cached per package. */
function packageNames(file: string): string[] {
  const pkg = /^(.*\/packages\/[^/]+\/src)\//.exec(file)![1];
  if (!ownNames.has(pkg)) {
    const names = sources(pkg).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/^(?:export )?(?:async )?(?:function|const|class|let) (\w+)/gm)].map((m) => m[1]));
    ownNames.set(pkg, [...new Set(names)]);
  }
  return ownNames.get(pkg)!;
}
const publicNamesOf = (s: Set<string>) => s;

/**
 * One example as a function: the top-level names of the example's own package declared in it (an example of an
 * internal function may call it or its helpers), its import lines hoisted, and `...` (code left out) a comment.
 */
function exampleModule(e: { file: string; code: string }, publicNames: Set<string>, n: number): { imports: string[]; body: string[] } {
  const own = packageNames(e.file).filter((n) => !publicNames.has(n));
  const lines = e.code.replace(/^export /gm, '').replace(/(^|[\s;(])\.\.\.(?=\s|$|\))/g, '$1/* ... */').split('\n');
  const imports = lines.filter((l) => /^import /.test(l.trim()));
  const code = lines.filter((l) => !/^import /.test(l.trim()));
  return { imports, body: [`async function __example${n}() {`, ...(own.length ? [`  let ${own.map((n) => `${n}: any`).join(', ')};`] : []), ...code, '}'] };
}

function findNode(sf: ts.SourceFile, pos: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (n: ts.Node) => {
    if (pos >= n.getStart(sf) && pos < n.getEnd()) {
      found = n;
      ts.forEachChild(n, visit);
    }
  };
  visit(sf);
  return found;
}
