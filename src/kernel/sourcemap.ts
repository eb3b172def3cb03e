/**
 * Source map v3 lookups, enough to map a position in generated code back to its source: the
 * base64-VLQ `mappings` decoded into segments per generated line. Lines and columns are 0-based.
 */

export interface Position {
  line: number;
  column: number;
}

/** [generated column, source index, source line, source column] */
type Segment = [number, number, number, number];

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** Decodes one segment's base64-VLQ fields. */
function decodeFields(text: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const c of text) {
    const d = DIGIT.get(c);
    if (d === undefined) throw new Error(`source map: invalid base64 digit ${JSON.stringify(c)}`);
    value += (d & 31) << shift;
    if (d & 32) {
      shift += 5;
    } else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

export class SourceMap {
  private readonly lines: Segment[][] = [];

  constructor(mappings: string) {
    let source = 0;
    let sourceLine = 0;
    let sourceColumn = 0;
    for (const lineText of mappings.split(';')) {
      const segments: Segment[] = [];
      let column = 0;
      for (const segText of lineText.split(',')) {
        if (segText === '') continue;
        const f = decodeFields(segText);
        column += f[0];
        if (f.length < 4) continue; // a segment that maps to no source
        source += f[1];
        sourceLine += f[2];
        sourceColumn += f[3];
        segments.push([column, source, sourceLine, sourceColumn]);
      }
      segments.sort((a, b) => a[0] - b[0]);
      this.lines.push(segments);
    }
  }

  /** Parses the JSON of a map; throws on a map without `mappings`. */
  static parse(json: string): SourceMap {
    const m = JSON.parse(json) as { mappings?: unknown };
    if (typeof m.mappings !== 'string') throw new Error('source map: no mappings');
    return new SourceMap(m.mappings);
  }

  /**
   * The source position of a generated one: the last segment at or before `column` on that line (or the
   * line's first segment when the column comes before all of them), keeping the column's offset from it.
   */
  lookup(p: Position): Position | undefined {
    const segments = this.lines[p.line];
    if (!segments || segments.length === 0) return undefined;
    let best = segments[0];
    for (const s of segments) {
      if (s[0] > p.column) break;
      best = s;
    }
    const offset = Math.max(0, p.column - best[0]);
    return { line: best[2], column: best[3] + offset };
  }
}

/** The JSON of an inline source map comment (`//# sourceMappingURL=data:...;base64,...`) in `code`. */
export function inlineSourceMap(code: string): string | undefined {
  const m = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/m.exec(code);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : undefined;
}

/** `code` without its source map comments (they are on lines of their own at the end). */
export function withoutSourceMapComments(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=[^\n]*/g, '');
}
