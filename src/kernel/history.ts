/**
 * In-memory input history for `history_request` (tail, range, search), as IPython's history manager
 * answers them. Entries live for the kernel's life; the session number is always 1 (no database).
 */
import type { JSONValue } from './wire';

export const SESSION = 1;

interface Entry {
  line: number;
  input: string;
  output: string | null;
}

export interface HistoryQuery {
  hist_access_type?: string;
  output?: boolean;
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}

/** Glob (`*`, `?`, `[...]`) as in fnmatch, matched against the whole input. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class History {
  private readonly entries: Entry[] = [];

  add(line: number, input: string, output: string | null): void {
    this.entries.push({ line, input, output });
  }

  query(q: HistoryQuery): JSONValue[] {
    const n = typeof q.n === 'number' && q.n > 0 ? Math.floor(q.n) : undefined;
    let found: Entry[];
    switch (q.hist_access_type) {
      case 'tail':
        found = n === undefined ? [...this.entries] : this.entries.slice(-n);
        break;
      case 'range': {
        if (q.session !== undefined && q.session !== SESSION && q.session !== 0) {
          found = [];
          break;
        }
        const start = q.start ?? 0;
        const stop = q.stop ?? Infinity;
        found = this.entries.filter((e) => e.line >= start && e.line < stop);
        break;
      }
      case 'search': {
        const re = globToRegExp(q.pattern ?? '*');
        found = this.entries.filter((e) => re.test(e.input));
        if (q.unique) {
          // Keep the latest occurrence of each input, in history order.
          const seen = new Set<string>();
          found = found.reverse().filter((e) => (seen.has(e.input) ? false : (seen.add(e.input), true))).reverse();
        }
        if (n !== undefined) found = found.slice(-n);
        break;
      }
      default:
        found = [];
    }
    return found.map((e) => [SESSION, e.line, q.output ? [e.input, e.output] : e.input]);
  }
}
