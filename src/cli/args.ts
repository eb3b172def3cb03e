/**
 * Command-line flags from one declaration: each command lists its flags (name, value placeholder,
 * description, choices), and the same list parses the arguments, checks them and writes the `--help`
 * text. Every mistake is a UsageError that names the flag, the bad value and the valid choices.
 */
import { SaliencyError, listChoices } from '../errors';

/** A mistake on the command line: an unknown flag, a missing or bad value. The command exits with 2. */
export class UsageError extends SaliencyError {}

export interface FlagSpec {
  /** The flag without dashes, in kebab case: `out` is `--out`, `batch-size` is `--batch-size`. */
  name: string;
  /** Placeholder of the value in help (`DIR`, `N`); absent for a switch (`--quick`, or `--no-NAME` to turn one off). */
  value?: string;
  description: string;
  /** Takes several values: `--image a.png b.png` or `--image a.png --image b.png`. */
  repeat?: boolean;
  /** Valid values (checked); listed in help and in errors. */
  choices?: readonly string[];
  /** Shown in help as "(default: ...)". */
  default?: string;
}

/** Parsed flags: strings for valued flags, string arrays for repeated ones, booleans for switches. */
export type FlagValues = Record<string, string | string[] | boolean>;

export interface Parsed {
  flags: FlagValues;
  /** Arguments that are not flags, in order. */
  positional: string[];
}

/** `batchSize` → `batch-size`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The closest of `names` to `name` when it is close enough to be a typo. */
export function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const dist = distance(name.toLowerCase(), n.toLowerCase());
    if (dist < bestD) [best, bestD] = [n, dist];
  }
  return best !== undefined && bestD <= (best.length < 3 ? 0 : Math.max(1, Math.floor(best.length / 3))) ? best : undefined;
}

/** Checks a value against a flag's choices. */
export function checkChoice(where: string, flag: string, value: string, choices: readonly string[]): string {
  if (choices.includes(value)) return value;
  const near = closest(value, choices);
  throw new UsageError(where, `${flag} ${JSON.stringify(value)} is not a valid choice${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; choices: ${listChoices(choices)}`);
}

/**
 * Parses `args` against `specs`. Accepts `--flag value`, `--flag=value`, `--switch`, `--no-switch`,
 * repeated flags, and `--` to end the flags. `where` (e.g. "saliency-lab explain") starts every error.
 */
export function parseFlags(
  where: string, args: readonly string[], specs: readonly FlagSpec[],
  /** Says more about a flag that is not in `specs` (e.g. "--window is an option of occlusion"). */
  unknownHint?: (flag: string) => string | undefined,
): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: FlagValues = {};
  const positional: string[] = [];
  const all = specs.map((s) => `--${s.name}`);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '--') {
      if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
        throw new UsageError(where, `unknown option ${JSON.stringify(a)}: flags start with two dashes; flags: ${listChoices(all)}`);
      }
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name = a.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    let negated = false;
    const positive = byName.get(name.slice(3));
    if (!byName.has(name) && name.startsWith('no-') && positive && positive.value === undefined) {
      name = name.slice(3);
      negated = true;
    }
    const spec = byName.get(name) ?? byName.get(kebab(name));
    if (!spec) {
      const hint = unknownHint?.(name);
      if (hint) throw new UsageError(where, hint);
      const near = closest(`--${name}`, all);
      throw new UsageError(where, `unknown option ${JSON.stringify(`--${name}`)}${near ? ` (did you mean ${near}?)` : ''}; flags: ${listChoices(all)}. ` +
        `Run \`${where} --help\` for what each does.`);
    }
    const flag = `--${spec.name}`;
    if (spec.value === undefined) {
      if (inline !== undefined) {
        if (negated || !['true', 'false'].includes(inline)) throw new UsageError(where, `${flag} is a switch: give ${flag} or --no-${spec.name}, or ${flag}=true|false; got ${JSON.stringify(a)}`);
        flags[spec.name] = inline === 'true';
      } else {
        flags[spec.name] = !negated;
      }
      continue;
    }
    const values: string[] = [];
    if (inline !== undefined) values.push(inline);
    else {
      // A repeated flag takes every following argument up to the next flag; others take exactly one.
      while (i + 1 < args.length && !(args[i + 1].startsWith('--') && args[i + 1].length > 2)) {
        values.push(args[++i]);
        if (!spec.repeat) break;
      }
    }
    if (values.length === 0 || values.some((v) => v === '')) {
      throw new UsageError(where, `${flag} needs a value (${spec.value})${spec.choices ? `; choices: ${listChoices(spec.choices)}` : ''}`);
    }
    if (spec.choices) for (const v of values) checkChoice(where, flag, v, spec.choices);
    if (spec.repeat) flags[spec.name] = [...((flags[spec.name] as string[] | undefined) ?? []), ...values];
    else {
      if (flags[spec.name] !== undefined) throw new UsageError(where, `${flag} is given twice (${JSON.stringify(flags[spec.name])} and ${JSON.stringify(values[0])}); give it once`);
      flags[spec.name] = values[0];
    }
  }
  return { flags, positional };
}

/** Help lines for a list of flags: `  --name VALUE   description (choices; default)`. */
export function flagHelp(specs: readonly FlagSpec[], indent = '  '): string[] {
  // A switch that is on by default is turned off with --no-NAME: show both.
  const heads = specs.map((s) => `--${s.value === undefined && s.default === 'true' ? `[no-]${s.name}` : s.name}${s.value ? ` ${s.value}` : ''}${s.repeat ? ' ...' : ''}`);
  const width = Math.min(30, Math.max(...heads.map((h) => h.length)) + 2);
  return specs.map((s, i) => {
    const extra = [
      s.choices ? `one of ${listChoices(s.choices)}` : '',
      s.default !== undefined ? `default ${s.default}` : '',
    ].filter(Boolean).join('; ');
    const head = heads[i].length >= width ? `${heads[i]}\n${indent}${' '.repeat(width)}` : heads[i].padEnd(width);
    return `${indent}${head}${s.description}${extra ? ` (${extra})` : ''}`;
  });
}

/** Parses an integer flag value, with optional bounds. */
export function intFlag(where: string, flag: string, value: string, min?: number, max?: number): number {
  return numeric(where, flag, value, true, min, max);
}

/** Parses a number flag value, with optional bounds. */
export function numberFlag(where: string, flag: string, value: string, min?: number, max?: number): number {
  return numeric(where, flag, value, false, min, max);
}

function numeric(where: string, flag: string, value: string, integer: boolean, min?: number, max?: number): number {
  const n = Number(value);
  if (value.trim() === '' || !(integer ? Number.isInteger(n) : Number.isFinite(n))) {
    throw new UsageError(where, `${flag} needs ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}`);
  }
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) throw new UsageError(where, `${flag} must be ${range(min, max)}, got ${n}`);
  return n;
}

function range(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${max}`;
}
