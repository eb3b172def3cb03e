/**
 * Runs TypeScript cells with tslab's converter and executor (tslab's protocol layer is not used).
 *
 * tslab's executor reports through an injected console: `log(value)` receives the value of the cell's
 * last expression, `error(...)` receives compile diagnostics and thrown values. We turn those into an
 * `execute_result` and an `error` message instead of text.
 */
import Module, { createRequire } from 'module';
import path from 'path';
import { format } from 'util';
import { createConverter, isCompleteCode, type Converter } from 'tslab/dist/converter';
import { createExecutor, type ConverterSet, type Executor } from 'tslab/dist/executor';
import { printQuickInfo } from 'tslab/dist/inspect';
import { PACKAGE_ROOT } from './paths';
import { excerpt, nameNextCell } from './cell-sources';
import { errorFromThrown, type CellError, type CellOutcome } from './report';
import type { Runner } from './shell';

const PACKAGE_NAME = 'saliency-lab';

// tslab prints compile diagnostics with this format string (executor.js, printDiagnostics).
const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
const ASYNC_INTERRUPT_MESSAGE = 'Interrupted asynchronously';

/** The languages a kernel runs: tslab's TypeScript, or its JavaScript mode (jslab: types from JSDoc and inference). */
export type CellLanguage = 'typescript' | 'javascript';

type TS = typeof import('@tslab/typescript-for-tslab');

function tslabTypeScript(): TS {
  return createRequire(require.resolve('tslab'))('@tslab/typescript-for-tslab') as TS;
}

/** The names a declaration file declares at its top level. */
function declaredNames(ts: TS, file: import('@tslab/typescript-for-tslab').SourceFile): Set<string> {
  const names = new Set<string>();
  const add = (n: import('@tslab/typescript-for-tslab').Node | undefined) => {
    if (!n) return;
    if (ts.isIdentifier(n)) names.add(n.text);
    else if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) n.elements.forEach((e) => ts.isBindingElement(e) && add(e.name));
  };
  for (const st of file.statements) {
    if (ts.isVariableStatement(st)) st.declarationList.declarations.forEach((d) => add(d.name));
    else if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      add(clause?.name);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(bindings.name);
      else bindings?.elements.forEach((e) => add(e.name));
    } else if ('name' in st) add((st as { name?: import('@tslab/typescript-for-tslab').Node }).name);
  }
  return names;
}

/**
 * tslab 1.0.22 drops `import x = require("m")` declarations (what `const x = require("m")` becomes in
 * JavaScript) from the declarations it carries to the next cell, so that `x` is unknown two cells later
 * (tslab's own JavaScript example notebook fails so). This carries them on, unless the new cell declares
 * the name again.
 */
export function carryRequireAliases(ts: TS, prevDecl: string, declOutput: string): string {
  const prev = ts.createSourceFile('prev.d.ts', prevDecl, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const aliases = prev.statements.filter(ts.isImportEqualsDeclaration);
  if (aliases.length === 0) return declOutput;
  const declared = declaredNames(ts, ts.createSourceFile('next.d.ts', declOutput, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS));
  const carried = aliases.filter((a) => !declared.has(a.name.text)).map((a) => prevDecl.slice(a.getStart(prev), a.end));
  return carried.length === 0 ? declOutput : `${declOutput}${declOutput === '' || declOutput.endsWith('\n') ? '' : '\n'}${carried.join('\n')}\n`;
}

function withCarriedAliases(conv: Converter): Converter {
  const ts = tslabTypeScript();
  return {
    ...conv,
    convert(prevDecl, src) {
      const r = conv.convert(prevDecl, src);
      if (r.declOutput !== undefined) r.declOutput = carryRequireAliases(ts, prevDecl, r.declOutput);
      return r;
    },
  };
}

class Converters implements ConverterSet {
  private nodeConv?: Converter;
  private browserConv?: Converter;
  constructor(private readonly isJS: boolean) {}
  get node(): Converter {
    return (this.nodeConv ??= withCarriedAliases(createConverter({ isJS: this.isJS, isBrowser: false })));
  }
  get browser(): Converter {
    return (this.browserConv ??= withCarriedAliases(createConverter({ isJS: this.isJS, isBrowser: true })));
  }
  close(): void {
    this.nodeConv?.close();
    this.browserConv?.close();
  }
}

interface CellRecorder {
  hasValue: boolean;
  value?: unknown;
  errors: unknown[][];
}

/**
 * A failed cell's error. Compile diagnostics (tslab's format: file name, 1-based line and column, text)
 * are shown with the cell's line and a caret under the column.
 */
function errorFromRecorder(errors: unknown[][], source: string): { error: CellError; interrupted: boolean } {
  const diagnostics = errors.filter((args) => args[0] === DIAGNOSTIC_FORMAT) as [string, string, number, number, string][];
  if (diagnostics.length > 0) {
    const texts = diagnostics.map((args) => format(...args));
    const traceback = diagnostics.flatMap(([, file, line, column], i) => [texts[i], ...(file === '' ? excerpt(source, { line: line - 1, column: column - 1 }) : [])]);
    return { error: { ename: 'CompileError', evalue: texts.join('\n'), traceback }, interrupted: false };
  }
  const thrown = errors.length > 0 ? errors[errors.length - 1][0] : new Error('the cell failed without an error');
  const code = (thrown as { code?: unknown } | null)?.code;
  if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED' || (thrown instanceof Error && thrown.message === ASYNC_INTERRUPT_MESSAGE)) {
    return { error: { ename: 'Interrupted', evalue: 'the kernel was interrupted', traceback: ['Interrupted: the kernel was interrupted'] }, interrupted: true };
  }
  return { error: errorFromThrown(thrown), interrupted: false };
}

/**
 * Makes `<cwd>/node_modules/saliency-lab/...` readable by tslab's TypeScript when no real copy is there,
 * by forwarding to this package (tslab does the same for `tslab` itself). Needed because tslab resolves
 * with `moduleResolution: node10`, which ignores package self-reference through "exports".
 */
function forwardPackageTypes(cwd: string): void {
  const tsForTslab = tslabTypeScript() as unknown as {
    sys: Record<'readFile' | 'fileExists' | 'directoryExists' | 'getModifiedTime' | 'realpath', ((p: string, ...rest: never[]) => unknown) | undefined>;
  };
  const sys = tsForTslab.sys;
  const virtualRoot = path.join(cwd, 'node_modules', PACKAGE_NAME).replace(/\\/g, '/');
  const realRoot = PACKAGE_ROOT.replace(/\\/g, '/');
  if (sys.directoryExists?.(virtualRoot)) return; // a real install wins
  const map = (p: string): string => (p === virtualRoot || p.startsWith(`${virtualRoot}/`) ? realRoot + p.slice(virtualRoot.length) : p);
  for (const name of ['readFile', 'fileExists', 'directoryExists', 'getModifiedTime'] as const) {
    const original = sys[name];
    if (!original) continue;
    sys[name] = (p: string, ...rest: never[]) => original.call(sys, map(p), ...rest);
  }
}

/**
 * Lets `require('saliency-lab')` from a notebook outside this package's folder find this package (inside
 * it, Node's package self-reference already does). Only a request that fails to resolve is redirected.
 */
function forwardPackageRuntime(): void {
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  const self = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
  M._resolveFilename = function (request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (e) {
      if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && (request === PACKAGE_NAME || request.startsWith(`${PACKAGE_NAME}/`))) {
        return self.resolve(request);
      }
      throw e;
    }
  };
}

/** is_complete: tslab's answer, plus "invalid" for code with a syntax error that more input cannot fix. */
export function checkComplete(code: string): { status: 'complete' | 'incomplete' | 'invalid'; indent?: string } {
  const r = isCompleteCode(code);
  if (!r.completed) return { status: 'incomplete', indent: r.indent ?? '' };
  if (/(^|\n)\s*\n\s*$/.test(code)) return { status: 'complete' };
  const ts = tslabTypeScript();
  const src = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diags = (src as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return { status: diags.length > 0 ? 'invalid' : 'complete' };
}

export class CellRunner implements Runner {
  private readonly converters: Converters;
  private readonly executor: Executor;
  private recorder: CellRecorder | null = null;
  private readonly names = new Set<string>();

  constructor(rootDir: string, language: CellLanguage = 'typescript') {
    this.converters = new Converters(language === 'javascript');
    forwardPackageTypes(rootDir);
    forwardPackageRuntime();
    this.executor = createExecutor(rootDir, this.converters, {
      log: (value: unknown) => {
        if (this.recorder) {
          this.recorder.hasValue = true;
          this.recorder.value = value;
        }
      },
      error: (...args: unknown[]) => {
        this.recorder?.errors.push(args);
      },
    });
  }

  /** Creates the TypeScript converter now (a few hundred ms) rather than in the first cell. */
  warm(): void {
    void this.converters.node;
  }

  /** Runs a cell; `name` (e.g. "cell 3") names its script, so that stack frames point into it. */
  async run(code: string, name?: string): Promise<CellOutcome> {
    const recorder: CellRecorder = { hasValue: false, errors: [] };
    this.recorder = recorder;
    let ok: boolean;
    if (name !== undefined) nameNextCell({ name: this.uniqueName(name), source: code });
    try {
      ok = await this.executor.execute(code);
    } catch (e) {
      ok = false;
      recorder.errors.push([e]);
    } finally {
      nameNextCell(null);
      if (this.recorder === recorder) this.recorder = null;
    }
    if (ok) return { ok: true, hasValue: recorder.hasValue, value: recorder.value };
    return { ok: false, ...errorFromRecorder(recorder.errors, code) };
  }

  private uniqueName(name: string): string {
    let unique = name;
    for (let i = 2; this.names.has(unique); i++) unique = `${name} (${i})`;
    this.names.add(unique);
    return unique;
  }

  complete(code: string, cursor: number): { start: number; end: number; matches: string[] } {
    const info = this.executor.complete(code, cursor);
    return { start: info.start, end: info.end, matches: info.candidates };
  }

  /** Quick info (type and doc comment) at `cursor`, as text, or undefined. */
  inspect(code: string, cursor: number): string | undefined {
    const info = this.executor.inspect(code, cursor);
    return info ? printQuickInfo(info) : undefined;
  }

  isComplete(code: string): ReturnType<typeof checkComplete> {
    return checkComplete(code);
  }

  /** Makes a pending top-level await give up (the cell then fails as interrupted). */
  interrupt(): void {
    this.executor.interrupt();
  }

  close(): void {
    this.executor.close();
  }
}
