// The public surface of each package, as a sorted list of its exported names (value or type), snapshotted in
// test/public-api/<package>.txt: any change to what a package exports shows in review as a change to that file.
// After a deliberate change, update the snapshot with `npx vitest run test/public-api.test.ts -u` and commit it.
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const PACKAGES = ['core', 'architectures', 'datasets', 'kernel-plugin'];

/** `value name` or `type name` for each export of the package's src/index.ts, sorted. */
function exportList(pkg: string): string[] {
  const entry = path.join(root, 'packages', pkg, 'src/index.ts');
  const program = ts.createProgram([entry], { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noEmit: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  if (!sf) throw new Error(`${entry}: not found`);
  return checker.getExportsOfModule(checker.getSymbolAtLocation(sf)!).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return `${target.flags & ts.SymbolFlags.Value ? 'value' : 'type'} ${s.name}`;
  }).sort((a, b) => a.split(' ')[1].localeCompare(b.split(' ')[1]));
}

describe('public API', () => {
  for (const pkg of PACKAGES) {
    it(`@igpg/${pkg} exports what its snapshot lists`, async () => {
      const names = exportList(pkg);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names.map((n) => n.split(' ')[1])).size).toBe(names.length);
      await expect(names.join('\n') + '\n').toMatchFileSnapshot(path.join(__dirname, 'public-api', `${pkg}.txt`));
    });
  }
});
