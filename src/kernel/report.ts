/**
 * How a failed cell or a background error is reported: ename, evalue and a traceback without the
 * kernel's own frames. Kept apart from the executor so that reporting does not load the compiler.
 */
import { format } from 'util';
import { mapFrame } from './cell-sources';

/** The error of a failed cell, as the `error` message and `execute_reply` carry it. */
export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type CellOutcome = { ok: true; hasValue: boolean; value?: unknown } | { ok: false; error: CellError; interrupted: boolean };

/** Frames that belong to the kernel, tslab or Node rather than to the user's code. */
function isInternalFrame(line: string): boolean {
  return /node_modules[\\/]tslab[\\/]|node:internal|node:vm|[\\/]dist[\\/]kernel[\\/]|runInThisContext|new Promise \(<anonymous>\)/.test(line);
}

/** ename/evalue/traceback for a thrown value; frames in a cell point at its line, shown with a caret. */
export function errorFromThrown(thrown: unknown): CellError {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown && 'name' in thrown)) {
    const e = thrown as Error;
    const ename = String(e.name || 'Error');
    const evalue = String(e.message ?? '');
    const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l) && !isInternalFrame(l)).flatMap(mapFrame) : [];
    return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames] };
  }
  const evalue = typeof thrown === 'string' ? thrown : format('%o', thrown);
  return { ename: 'Uncaught', evalue, traceback: [`Uncaught ${evalue}`] };
}

/** `?name` or `name?`: IPython's help syntax, answered with the pager. Returns the expression, if it is one. */
export function helpTarget(code: string): string | undefined {
  const m = /^\s*\?\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*$/.exec(code) ?? /^\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\?\s*$/.exec(code);
  return m?.[1];
}

