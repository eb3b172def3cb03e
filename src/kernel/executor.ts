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
import { errorFromThrown, type CellError, type CellOutcome } from './report';
import type { Runner } from './shell';

const PACKAGE_NAME = 'saliency-lab';

// tslab prints compile diagnostics with this format string (executor.js, printDiagnostics).
const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
const ASYNC_INTERRUPT_MESSAGE = 'Interrupted asynchronously';

class Converters implements ConverterSet {
  private nodeConv?: Converter;
  private browserConv?: Converter;
  get node(): Converter {
    return (this.nodeConv ??= createConverter({ isJS: false, isBrowser: false }));
  }
  get browser(): Converter {
    return (this.browserConv ??= createConverter({ isJS: false, isBrowser: true }));
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

function errorFromRecorder(errors: unknown[][]): { error: CellError; interrupted: boolean } {
  const diagnostics = errors.filter((args) => args[0] === DIAGNOSTIC_FORMAT).map((args) => format(...(args as [string, ...unknown[]])));
  if (diagnostics.length > 0) {
    return { error: { ename: 'CompileError', evalue: diagnostics.join('\n'), traceback: diagnostics }, interrupted: false };
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
  const tsForTslab = createRequire(require.resolve('tslab'))('@tslab/typescript-for-tslab') as {
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
  const ts = createRequire(require.resolve('tslab'))('@tslab/typescript-for-tslab') as typeof import('@tslab/typescript-for-tslab');
  const src = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diags = (src as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return { status: diags.length > 0 ? 'invalid' : 'complete' };
}

export class CellRunner implements Runner {
  private readonly converters = new Converters();
  private readonly executor: Executor;
  private recorder: CellRecorder | null = null;

  constructor(rootDir: string) {
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

  async run(code: string): Promise<CellOutcome> {
    const recorder: CellRecorder = { hasValue: false, errors: [] };
    this.recorder = recorder;
    let ok: boolean;
    try {
      ok = await this.executor.execute(code);
    } catch (e) {
      ok = false;
      recorder.errors.push([e]);
    } finally {
      if (this.recorder === recorder) this.recorder = null;
    }
    if (ok) return { ok: true, hasValue: recorder.hasValue, value: recorder.value };
    return { ok: false, ...errorFromRecorder(recorder.errors) };
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
