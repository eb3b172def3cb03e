/**
 * Stack frames that point into a cell's own source. tslab compiles a cell in two steps (TypeScript to
 * an ES module, then to CommonJS) and runs the result with `vm.runInThisContext` without a file name, so
 * a frame said only `evalmachine.<anonymous>:31:11`, a line of generated code. `installCellSourceMaps`
 * makes both of tslab's steps emit source maps and gives each cell's script a name (`cell 3`); frames in
 * it are then mapped back to the cell's line and column, and shown with the line and a caret.
 *
 * It relies on how tslab 1.0.22 (pinned) calls its TypeScript: the watch program it creates with
 * `outDir: "outDir"`, `ts.transpileModule(js, {fileName: "custom.js"})` for the CommonJS step, and the
 * wrapper `(function(exports, require) { ... })(__tslab__.exports, __tslab__.require)`. Where any of that
 * differs, frames stay as they are.
 */
import Module from 'module';
import { SourceMap, inlineSourceMap, withoutSourceMapComments, type Position } from './sourcemap';

/** A cell's source and the maps from its script back to it. */
interface CellSource {
  source: string;
  /** Offset of the compiled code in the script's first line (tslab's wrapper). */
  prefix: number;
  /** The CommonJS step's map (script to ES module) and the TypeScript step's (ES module to cell). */
  maps: [string, string];
  decoded?: [SourceMap, SourceMap];
}

/** Compiled outputs seen lately, with their maps, waiting to be matched with the script that runs them. */
const compiled: { output: string; maps: [string, string] }[] = [];
const cells = new Map<string, CellSource>();
/** The name and source the next tslab script gets (set by the runner around a cell). */
let next: { name: string; source: string } | null = null;
let installed = false;

const TSLAB_WRAPPER = /^(\((?:async )?function\(exports, require\) \{ )([\s\S]*)\n\}\)\(__tslab__\.exports, __tslab__\.require\)$/;
/** The cell source comes after tslab's `export {};` line. */
const SOURCE_LINE_OFFSET = 1;

function remember(output: string, maps: [string, string]): void {
  compiled.push({ output, maps });
  if (compiled.length > 8) compiled.shift(); // side modules compiled with a cell are never run as cells
}

/**
 * Installs the source-map hooks. Must run before tslab's converter is loaded (it captures TypeScript's
 * exports when it loads); returns false, changing nothing, when it already is.
 */
export function installCellSourceMaps(): boolean {
  if (installed) return true;
  const fromTslab = Module.createRequire(require.resolve('tslab'));
  if (require.cache[fromTslab.resolve('tslab/dist/converter')]) return false;
  const tsPath = fromTslab.resolve('@tslab/typescript-for-tslab');
  const ts = fromTslab(tsPath) as typeof import('@tslab/typescript-for-tslab');
  const cached = require.cache[tsPath];
  if (!cached) return false;
  // TypeScript's exports are non-configurable getters: tslab gets a copy with two functions wrapped.
  const exports: Record<string, unknown> = {};
  for (const key of Object.keys(ts)) Object.defineProperty(exports, key, { get: () => (ts as unknown as Record<string, unknown>)[key], enumerable: true, configurable: true });
  const wrapHost = (rootFiles: unknown, options: Record<string, unknown>, ...rest: unknown[]) =>
    (ts.createWatchCompilerHost as (...a: unknown[]) => unknown)(rootFiles, Array.isArray(rootFiles) && options?.outDir === 'outDir' ? { ...options, inlineSourceMap: true } : options, ...rest);
  const wrapTranspile = (input: string, options: import('@tslab/typescript-for-tslab').TranspileOptions) => {
    const map1 = options.fileName === 'custom.js' ? inlineSourceMap(input) : undefined;
    if (map1 === undefined) return ts.transpileModule(input, options);
    const r = ts.transpileModule(input, { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true } });
    const outputText = withoutSourceMapComments(r.outputText);
    if (r.sourceMapText) remember(outputText, [r.sourceMapText, map1]);
    return { ...r, outputText, sourceMapText: undefined };
  };
  Object.defineProperty(exports, 'createWatchCompilerHost', { value: wrapHost, enumerable: true });
  Object.defineProperty(exports, 'transpileModule', { value: wrapTranspile, enumerable: true });
  cached.exports = exports;

  const vm = require('vm') as typeof import('vm');
  const runInThisContext = vm.runInThisContext;
  vm.runInThisContext = function (this: unknown, code: string, options?: import('vm').RunningScriptOptions | string) {
    const m = next && typeof options !== 'string' ? TSLAB_WRAPPER.exec(code) : null;
    const found = m ? compiled.find((c) => c.output === m[2]) : undefined;
    if (m && found && next) {
      cells.set(next.name, { source: next.source, prefix: m[1].length, maps: found.maps });
      options = { ...(options as import('vm').RunningScriptOptions | undefined), filename: next.name };
      next = null;
    }
    return runInThisContext.call(this, code, options);
  } as typeof vm.runInThisContext;
  installed = true;
  return true;
}

/** Names the script of the cell about to run (`name` must be unique), or with null stops naming. */
export function nameNextCell(cell: { name: string; source: string } | null): void {
  next = installed ? cell : null;
}

/**
 * The cell position (0-based) of a 1-based position in the script of cell `name`; null for a position
 * in tslab's code around the cell (the call of its wrapper); undefined when the maps cannot be read.
 */
function cellPosition(cell: CellSource, line: number, column: number): Position | null | undefined {
  try {
    cell.decoded ??= [SourceMap.parse(cell.maps[0]), SourceMap.parse(cell.maps[1])];
  } catch {
    return undefined;
  }
  const generated = { line: line - 1, column: line === 1 ? column - 1 - cell.prefix : column - 1 };
  const esModule = cell.decoded[0].lookup(generated);
  const source = esModule && cell.decoded[1].lookup(esModule);
  if (!source || source.line < SOURCE_LINE_OFFSET) return null;
  const p = { line: source.line - SOURCE_LINE_OFFSET, column: source.column };
  return p.line < cell.source.split('\n').length ? p : null;
}

/** The line at `p` of a cell's source and a caret under its column, indented under a frame. */
export function excerpt(source: string, p: Position): string[] {
  const text = source.split('\n')[p.line] ?? '';
  const number = String(p.line + 1);
  const caretAt = Math.min(p.column, text.length);
  return [`    ${number} | ${text}`, `    ${' '.repeat(number.length)} | ${' '.repeat(caretAt)}^`];
}

/**
 * A stack frame line (`    at f (cell 3:5:11)`) with the position mapped into the cell, followed by the
 * cell's line and a caret; none for the frame of tslab's wrapper around a cell; other frames unchanged.
 */
export function mapFrame(frame: string): string[] {
  for (const [name, cell] of cells) {
    const at = frame.indexOf(`${name}:`);
    if (at < 0) continue;
    const m = /^(\d+):(\d+)/.exec(frame.slice(at + name.length + 1));
    if (!m || /[\w$]/.test(frame[at - 1] ?? '')) continue;
    const p = cellPosition(cell, Number(m[1]), Number(m[2]));
    if (p === null) return [];
    if (p === undefined) return [frame];
    // A function of an earlier cell is called as a property of tslab's exports Proxy: `at Proxy.f (...)`.
    const head = frame.slice(0, at).replace(/^(\s+at (?:async )?)Proxy\./, '$1');
    const mapped = `${head}${name}:${p.line + 1}:${p.column + 1}${frame.slice(at + name.length + 1 + m[0].length)}`;
    return [mapped, ...excerpt(cell.source, p)];
  }
  return [frame];
}
