/**
 * Kernel launcher used by the installed "igpg (TypeScript)" kernelspec: `node main.js --config-path <connection file>`.
 *
 * tslab type-checks each cell with TypeScript's Node10 resolution from the notebook's directory, which does not
 * read NODE_PATH: a notebook outside the igpg checkout would fail with "Cannot find module '@igpg/core'".
 * So before starting tslab we let TypeScript's file system fall back to igpg's node_modules for a missing
 * `<cwd or an ancestor>/node_modules/<pkg>` path, and report the real path so the package's own dependencies
 * resolve from where it really lives. Runtime `require` uses NODE_PATH, which the kernelspec sets.
 */
import * as path from 'node:path';
import { igpgNodeModules } from './install';

type Sys = Record<string, any>;

/** Patch a TypeScript `sys` so missing node_modules paths under `cwd` resolve in `nodeModules`. */
export function addNodeModulesFallback(sys: Sys, cwd: string, nodeModules: string): void {
  const marker = `${path.sep}node_modules${path.sep}`;
  const forward = (p: string): string | null => {
    const i = p.lastIndexOf(marker);
    if (i < 0) return null;
    const owner = p.slice(0, i) || path.sep;
    const rel = path.relative(owner, cwd);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null; // only node_modules dirs the notebook's lookup walks through
    const target = path.join(nodeModules, p.slice(i + marker.length));
    return target === p ? null : target;
  };
  const orig = { fileExists: sys.fileExists, directoryExists: sys.directoryExists, readFile: sys.readFile, realpath: sys.realpath };
  const pick = (p: string, exists: (q: string) => boolean) => {
    if (exists(p)) return p;
    const t = forward(p);
    return t && exists(t) ? t : null;
  };
  sys.fileExists = (p: string) => pick(p, orig.fileExists) !== null;
  sys.directoryExists = (p: string) => pick(p, orig.directoryExists) !== null;
  sys.readFile = (p: string, enc?: string) => orig.readFile(pick(p, orig.fileExists) ?? p, enc);
  if (orig.realpath) sys.realpath = (p: string) => orig.realpath(pick(p, (q) => orig.fileExists(q) || orig.directoryExists(q)) ?? p);
}

/**
 * tslab 1.0.22 never publishes `execute_input`, the iopub message that carries a cell's execution count; nbclient
 * (jupyter nbconvert --execute) takes the count only from iopub, so executed notebooks came out with none.
 * Publish it before each execution, with the count tslab is about to give the cell.
 */
function publishExecuteInput(ZmqServer: { prototype: Sys }): void {
  const orig = ZmqServer.prototype.handleExecute;
  if (orig.igpgPatched) return;
  const patched = async function (this: Sys, sock: unknown, msg: Sys) {
    const input = msg.createReply();
    input.header.msg_type = 'execute_input';
    input.content = { code: msg.content.code, execution_count: this.handler.execCount + 1 };
    input.signAndSend(this.connInfo.key, this.iopub);
    return orig.call(this, sock, msg);
  };
  (patched as Sys).igpgPatched = true;
  ZmqServer.prototype.handleExecute = patched;
}

/**
 * After a failing cell tslab drops every execution request that arrives in the next 200 ms (its queue reset, tslab
 * issue #19) and answers them 'abort' with no output at all, so after "Run All" the later cells look empty.
 * Say so in the cell instead.
 */
function explainAbortedCells(JupyterHandlerImpl: { prototype: Sys }): void {
  const orig = JupyterHandlerImpl.prototype.handleExecute;
  if (orig.igpgPatched) return;
  const patched = async function (this: Sys, req: unknown, writeStream: (name: string, text: string) => void, writeDisplayData: unknown) {
    const reply = await orig.call(this, req, writeStream, writeDisplayData);
    if (reply?.status === 'abort') writeStream('stderr', 'igpg kernel: not run, because an earlier cell failed (tslab skips the cells queued behind an error); fix it and run this cell again.\n');
    return reply;
  };
  (patched as Sys).igpgPatched = true;
  JupyterHandlerImpl.prototype.handleExecute = patched;
}

/**
 * tslab turns a cell's top-level variables into exports of the cell's module and rewrites later uses of them, but
 * misses shorthand properties: with `const x = 3` in one cell, `{ x }` in a later cell throws "x is not defined".
 * `{ x: x }` means the same and works, so each shorthand property of an object literal is written out before tslab
 * sees the cell. Destructuring targets (`({ x } = o)`, `{ x = 1 }`) are left alone: there `x` is assigned, not read.
 */
export function expandShorthandProperties(ts: Sys, code: string): string {
  const sf = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const at: { end: number; name: string }[] = [];
  const isAssignmentTarget = (n: Sys): boolean => {
    for (let p = n; p.parent; p = p.parent) {
      const parent = p.parent;
      if (ts.isBinaryExpression(parent) && parent.left === p && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return true;
      if ((ts.isForOfStatement(parent) || ts.isForInStatement(parent)) && parent.initializer === p) return true;
      if (!ts.isObjectLiteralExpression(parent) && !ts.isArrayLiteralExpression(parent) && !ts.isPropertyAssignment(parent)
        && !ts.isShorthandPropertyAssignment(parent) && !ts.isSpreadAssignment(parent) && !ts.isSpreadElement(parent) && !ts.isParenthesizedExpression(parent)) return false;
    }
    return false;
  };
  const visit = (n: Sys): void => {
    if (ts.isShorthandPropertyAssignment(n) && !n.objectAssignmentInitializer && !isAssignmentTarget(n.parent)) at.push({ end: n.name.end, name: n.name.text });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = code;
  for (const { end, name } of at.sort((a, b) => b.end - a.end)) out = `${out.slice(0, end)}: ${name}${out.slice(end)}`;
  return out;
}

/** Run every cell through expandShorthandProperties before tslab executes it. */
export function expandCellShorthand(JupyterHandlerImpl: { prototype: Sys }, ts: Sys): void {
  const orig = JupyterHandlerImpl.prototype.handleExecuteImpl;
  if (orig.igpgPatched) return;
  const patched = async function (this: Sys, req: Sys, ...rest: unknown[]) {
    let code = req.code;
    try {
      code = expandShorthandProperties(ts, req.code);
    } catch {
      // leave the cell as written: tslab reports its own syntax errors
    }
    return orig.call(this, { ...req, code }, ...rest);
  };
  (patched as Sys).igpgPatched = true;
  JupyterHandlerImpl.prototype.handleExecuteImpl = patched;
}

function main(argv: string[]) {
  const i = argv.indexOf('--config-path');
  if (i < 0 || !argv[i + 1]) {
    console.error('usage: node main.js --config-path <connection_file> (started by Jupyter; install with `igpg kernel install`)');
    process.exit(2);
  }
  const nodeModules = process.env.IGPG_NODE_MODULES ?? igpgNodeModules();
  const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [nodeModules] }));
  const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }));
  addNodeModulesFallback(ts.sys, process.cwd(), nodeModules);
  const jupyter = require(path.join(tslabDir, 'dist', 'jupyter.js'));
  publishExecuteInput(jupyter.ZmqServer);
  explainAbortedCells(jupyter.JupyterHandlerImpl);
  expandCellShorthand(jupyter.JupyterHandlerImpl, ts);
  const { startKernel } = require(path.join(tslabDir, 'dist', 'main.js'));
  startKernel({ configPath: argv[i + 1], enableFindLocal: false });
}

if (require.main === module) main(process.argv.slice(2));
