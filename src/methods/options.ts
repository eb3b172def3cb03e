/**
 * Method options from one source: each method file declares its defaults once (`XXX_DEFAULTS`) and the
 * type of each option (`XXX_OPTIONS`, built here by `optionSpecs`); the method resolves its options with
 * `resolveOptions`, the registry lists the same specs for widgets and the command line, and the README's
 * tables are generated from them.
 *
 * One parser per option type turns a command-line string (`parseOption`) or a widget's JSON value
 * (`optionFromJSON`) into an option value; one check per type says what is wrong with a value, in one
 * wording and with one error class per kind of mistake:
 *
 * | type       | CLI string                         | JSON                          | check (error)                         |
 * |------------|------------------------------------|-------------------------------|---------------------------------------|
 * | `integer`  | `12`                               | `12`                          | `must be an integer from 1 to 9` (OptionError) |
 * | `number`   | `0.15`                             | `0.15`                        | `must be a finite number ≥ 0` (OptionError)    |
 * | `boolean`  | `true`, `false`                    | `true`                        | `must be true or false` (OptionError)          |
 * | `choice`   | `maxAbs`                           | `"maxAbs"`                    | `unknown reduce "x"; choices: ...` (OptionError) |
 * | `layer`    | `block3_conv2`                     | `"block3_conv2"`              | a name (OptionError); the model's layers are checked by the method (UnknownLayerError) |
 * | `layers`   | `conv2,conv3`                      | `["conv2", "conv3"]`         | a non-empty list of names (OptionError); checked against the model by the method |
 * | `target`   | `3` or `0,2,1` (one per item)      | `3`, `[0, 2, 1]`              | TargetError, against the model's outputs by the method |
 * | `window`   | `8` or `8,4` ([height, width])     | `8`, `[8, 4]`                 | each side an integer from 1 to the input's side (OptionError) |
 * | `baseline` | `zeros`, `blur`, `0.5`             | `"blur"`, `0.5`               | `checkBaseline` (OptionError for a value, InputError for a tensor) |
 * | `baselines`| `zeros`, `minMax`, `0.5`           | `"minMax"`, `0.5`             | a distribution of baselines (`[B,H,W,C]`); `checkBaselines` in ./baseline-distribution |
 * | `workers`  | `auto`, `2`                        | `"auto"`, `2`                 | `workers must be 'auto' or an integer from 1 to 256` (OptionError) |
 * | `groups`   | `slic`, `grid`                     | `"slic"`                      | a name, or an integer tf.Tensor (its shape is the method's check, InputError) (OptionError) |
 * | `fields`   | `tau=0.5,drillDown=0.25`           | `{"tau": 0.5}`                | an object of the spec'd fields, each checked by its own spec (OptionError) |
 *
 * `null` (JSON) or leaving an option out means its default. A string that does not parse is kept as it
 * is, so the check reports it in the same words as any other bad value (`batchSize must be an integer
 * from 1, got "abc"`).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, OptionError } from '../errors';

export type OptionType = 'integer' | 'number' | 'boolean' | 'choice' | 'layer' | 'layers' | 'target' | 'window' | 'baseline' | 'baselines' | 'workers' | 'groups' | 'fields';

/** The type of one option and its limits, without its name and default (those come from DEFAULTS). */
export interface OptionTypeSpec {
  type: OptionType;
  /** What the option does, in a few words (the README's tables and widget tooltips). */
  description: string;
  /** integer and number: the smallest valid value. */
  min?: number;
  /** number: whether `min` itself is invalid (`> min` rather than `≥ min`). */
  exclusiveMin?: boolean;
  /** integer and number: the largest valid value. */
  max?: number;
  /** choice: the valid values; baseline: the names it accepts besides numbers and tensors; groups: the names besides a tensor. */
  choices?: readonly string[];
  /** choice: a function is valid too (SmoothGrad's `method`); not settable from the CLI or a widget. */
  orFunction?: boolean;
  /** For a default computed at run time (declared `null`): how it is computed. */
  defaultText?: string;
  /** fields: the specs of the object's fields (their defaults are the fields' defaults). */
  fields?: Readonly<Record<string, OptionSpec>>;
}

/** One option as the registry lists it: name, type, default (`null`: computed, see `defaultText`). */
export interface OptionSpec<V = unknown> extends OptionTypeSpec {
  name: string;
  default: V;
}

/** The specs of a method's options, keyed by name, in the order they are listed. */
export type OptionSpecs<D> = { readonly [K in keyof D & string]: OptionSpec<D[K]> };

/** Builds a method's option specs from its defaults (the one place they are written) and its types. */
export function optionSpecs<D extends object>(defaults: D, types: { readonly [K in keyof D & string]: OptionTypeSpec }): OptionSpecs<D> {
  const out = {} as { [K in keyof D & string]: OptionSpec<D[K]> };
  for (const name of Object.keys(types) as (keyof D & string)[]) {
    if (!(name in defaults)) throw new Error(`internal: option ${name} has a type but no default`);
    out[name] = { name, ...types[name], default: defaults[name] };
  }
  for (const name of Object.keys(defaults)) if (!(name in types)) throw new Error(`internal: option ${name} has a default but no type`);
  return Object.freeze(out);
}

/** `base`'s specs followed by more options (own defaults and types), as one set: a method's options over the common ones. */
export function extendSpecs<B, D extends object>(base: OptionSpecs<B>, defaults: D, types: { readonly [K in keyof D & string]: OptionTypeSpec }): OptionSpecs<B & D> {
  return Object.freeze({ ...base, ...optionSpecs(defaults, types) }) as unknown as OptionSpecs<B & D>;
}

/** The defaults of a set of specs, as the object a method merges options over. */
export function defaultsOf<D>(specs: OptionSpecs<D>): D {
  return Object.fromEntries(Object.values<OptionSpec>(specs).map((s) => [s.name, s.default])) as D;
}

/** A value as messages show it: numbers as written (NaN, Infinity), strings quoted, tensors by shape. */
export function showValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'function') return 'a function';
  if (v instanceof tf.Tensor) return `a tensor of shape [${v.shape}]`;
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return typeof v;
  }
}

// ---- one check per type ------------------------------------------------------------------------------

export interface Range {
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
}

/** An integer within [min, max]: `name must be an integer from 1 to 9, got 0`. */
export function checkInteger(where: string, name: string, v: unknown, range: Range = {}): number {
  const { min, max } = range;
  if (typeof v !== 'number' || !Number.isInteger(v) || (min !== undefined && v < min) || (max !== undefined && v > max)) {
    const bounds = min !== undefined ? ` from ${min}${max !== undefined ? ` to ${max}` : ''}` : max !== undefined ? ` ≤ ${max}` : '';
    throw new OptionError(where, `${name} must be an integer${bounds}, got ${showValue(v)}`);
  }
  return v;
}

/** A finite number within its bounds: `name must be a finite number > 0, got 0`. */
export function checkNumber(where: string, name: string, v: unknown, range: Range = {}): number {
  const { min, max, exclusiveMin } = range;
  const low = min === undefined || (typeof v === 'number' && (exclusiveMin ? v > min : v >= min));
  if (typeof v !== 'number' || !Number.isFinite(v) || !low || (max !== undefined && v > max)) {
    const bounds = [
      min !== undefined ? `${exclusiveMin ? '>' : '≥'} ${min}` : '',
      max !== undefined ? `≤ ${max}` : '',
    ].filter(Boolean).join(' and ');
    throw new OptionError(where, `${name} must be a finite number${bounds ? ` ${bounds}` : ''}, got ${showValue(v)}`);
  }
  return v;
}

/** true or false: `name must be true or false, got "yes"`. */
export function checkBoolean(where: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new OptionError(where, `${name} must be true or false, got ${showValue(v)}`);
  return v;
}

/** One of the choices: `unknown name "x"; choices: a, b, c`. */
export function checkChoice<T extends string>(where: string, name: string, v: unknown, choices: readonly T[], orFunction = false): T {
  if (orFunction && typeof v === 'function') return v as unknown as T;
  if (!choices.includes(v as T)) throw new OptionError(where, `unknown ${name} ${showValue(v)}; choices: ${choices.join(', ')}${orFunction ? ', or a function' : ''}`);
  return v as T;
}

/** A layer name (whether the model has it is the method's check, with the model's names). */
export function checkLayerName(where: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new OptionError(where, `${name} must be a layer name (string), got ${showValue(v)}`);
  return v;
}

/**
 * A window or stride `[height, width]` in pixels (one number for both), each side an integer from 1 to
 * the input's side: `window width must be an integer from 1 to 9 (the input's width), got 10`.
 */
export function checkWindow(where: string, name: string, v: unknown, size: [number, number]): [number, number] {
  const pair: unknown = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2) throw new OptionError(where, `${name} must be a number or [height, width], got ${showValue(v)}`);
  const axes = ['height', 'width'];
  return pair.map((d: unknown, i: number) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > size[i]) {
      throw new OptionError(where, `${name} ${axes[i]} must be an integer from 1 to ${size[i]} (the input's ${axes[i]}), got ${showValue(d)}`);
    }
    return d;
  }) as [number, number];
}

/** InputError naming how many NaN or Infinity values `what` (an input, a baseline) holds, if any. */
export async function checkFinite(where: string, what: string, t: tf.Tensor): Promise<void> {
  const count = tf.tidy(() => tf.logicalNot(tf.isFinite(tf.cast(t, 'float32'))).sum());
  const nonFinite = (await count.data())[0];
  count.dispose();
  if (nonFinite > 0) throw new InputError(where, `${what} holds ${nonFinite} NaN or Infinity value${nonFinite === 1 ? '' : 's'}`);
}

/** A checked baseline: one of the method's names, a finite number, or a float32 rank-4 tensor that broadcasts to the input. */
export type CheckedBaseline<N extends string = string> = { kind: 'name'; name: N } | { kind: 'number'; value: number } | { kind: 'tensor'; tensor: tf.Tensor4D };

/**
 * The one baseline check of Integrated Gradients and occlusion. A value that is not a valid baseline
 * (an unknown name, a non-finite number, anything else) is an OptionError; a tensor that cannot serve
 * (disposed, a shape that does not broadcast to the input `[N,H,W,C]`, NaN or Infinity inside) is an
 * InputError, as for the input itself. A tensor comes back as a new float32 rank-4 tensor (leading 1s
 * added) that the caller owns; the caller's tensor is left as it is.
 */
export async function checkBaseline<N extends string>(where: string, v: unknown, inputShape: readonly number[], names: readonly N[] = []): Promise<CheckedBaseline<N>> {
  if (typeof v === 'string' && names.includes(v as N)) return { kind: 'name', name: v as N };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'number', value: v };
  if (!(v instanceof tf.Tensor)) {
    const quoted = names.map((n) => `'${n}'`);
    throw new OptionError(where, `baseline must be ${[...quoted, 'a finite number'].join(', ')} or a tf.Tensor broadcastable to the input [${inputShape}], got ${showValue(v)}`);
  }
  if (v.isDisposed) throw new InputError(where, 'baseline tensor is disposed');
  const b: number[] = v.shape;
  const fits = b.length <= 4 && b.every((d, i) => d === 1 || d === inputShape[4 - b.length + i]);
  if (!fits) throw new InputError(where, `baseline of shape [${b}] does not broadcast to the input shape [${inputShape}]`);
  await checkFinite(where, 'baseline', v);
  const shape4 = [...new Array<number>(4 - b.length).fill(1), ...b] as [number, number, number, number];
  return { kind: 'tensor', tensor: tf.tidy(() => tf.reshape(tf.cast(v, 'float32'), shape4) as tf.Tensor4D) };
}

/** The check of one spec'd value that needs nothing but the value (layer, target, window and baseline need the model or input: the method checks them). */
export function checkOption(where: string, spec: OptionSpec, v: unknown): unknown {
  switch (spec.type) {
    case 'integer':
      return checkInteger(where, spec.name, v, spec);
    case 'number':
      return checkNumber(where, spec.name, v, spec);
    case 'boolean':
      return checkBoolean(where, spec.name, v);
    case 'choice':
      return checkChoice(where, spec.name, v, spec.choices ?? [], spec.orFunction);
    case 'layer':
      return checkLayerName(where, spec.name, v);
    case 'layers':
      if (!Array.isArray(v) || v.length === 0 || v.some((e) => typeof e !== 'string' || e === '')) {
        throw new OptionError(where, `${spec.name} must be a non-empty list of layer names, got ${showValue(v)}`);
      }
      return v;
    case 'workers':
      if (v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 256)) return v;
      throw new OptionError(where, `${spec.name} must be 'auto' or an integer from 1 to 256, got ${showValue(v)}`);
    case 'groups':
      if (v instanceof tf.Tensor || (spec.choices ?? []).includes(v as string)) return v;
      throw new OptionError(where, `${spec.name} must be ${(spec.choices ?? []).map((c) => `'${c}'`).join(', ')} or an integer tf.Tensor [H,W] or [N,H,W] of labels ≥ 0, got ${showValue(v)}`);
    case 'fields':
      return checkFields(where, spec, v);
    case 'target':
    case 'window':
    case 'baseline':
    case 'baselines':
      return v;
  }
}

/**
 * An object of a `fields` option's fields: each given field checked by its spec (named `option.field` in
 * messages), each missing (or null) one its default; another key or a value that is no plain object is
 * an OptionError listing the fields.
 */
export function checkFields(where: string, spec: OptionSpec, v: unknown): Record<string, unknown> {
  const fields = spec.fields ?? {};
  const names = Object.keys(fields).join(', ');
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof tf.Tensor) {
    throw new OptionError(where, `${spec.name} must be an object with fields ${names}, got ${showValue(v)}`);
  }
  const given = v as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(key in fields)) throw new OptionError(where, `unknown ${spec.name} field ${JSON.stringify(key)}; fields: ${names}`);
  }
  const out: Record<string, unknown> = {};
  for (const f of Object.values(fields)) {
    const value = given[f.name];
    out[f.name] = value === undefined || value === null ? f.default : checkOption(where, { ...f, name: `${spec.name}.${f.name}` }, value);
  }
  return out;
}

/** Options with a method's specs resolved: each given value checked, each missing (or null) one its default. */
export type Resolved<D, O> = Omit<O, keyof D> & D;

/**
 * Merges `options` over the defaults of `specs` (`undefined` and `null` mean the default) and checks each
 * value whose check needs no model or input. Keys without a spec (callbacks, `signal`) pass through.
 */
export function resolveOptions<D, O extends object>(where: string, specs: OptionSpecs<D>, options: O | undefined): Resolved<D, O> {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new OptionError(where, `options must be an object, got ${showValue(options)}`);
  }
  const out: Record<string, unknown> = { ...(options ?? {}) };
  for (const spec of Object.values<OptionSpec>(specs)) {
    const given = out[spec.name];
    if (given === undefined || given === null) out[spec.name] = spec.default;
    else out[spec.name] = checkOption(where, spec, given);
  }
  return out as Resolved<D, O>;
}

// ---- one parser per type -----------------------------------------------------------------------------

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumberList(text: string, integers: boolean): number[] | null {
  const parts = text.split(/\s*[,x×]\s*/);
  if (parts.some((p) => !(integers ? INTEGER : NUMBER).test(p))) return null;
  return parts.map(Number);
}

/**
 * An option value from a command-line string, by the option's type (see the table above). What does not
 * parse comes back unchanged, for the check to report.
 */
export function parseOption(spec: OptionTypeSpec, text: string): unknown {
  const t = text.trim();
  switch (spec.type) {
    case 'integer':
      return INTEGER.test(t) ? Number(t) : NUMBER.test(t) ? Number(t) : text;
    case 'number':
      return NUMBER.test(t) ? Number(t) : text;
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : text;
    case 'choice':
    case 'layer':
    case 'groups':
      return t;
    case 'layers':
      return t.split(',').map((p) => p.trim());
    case 'target': {
      const list = parseNumberList(t, false);
      if (!list) return text;
      return list.length === 1 && !t.includes(',') ? list[0] : list;
    }
    case 'window': {
      const list = parseNumberList(t, false);
      if (!list) return text;
      return list.length === 1 ? list[0] : list;
    }
    case 'baseline':
    case 'baselines':
      return NUMBER.test(t) ? Number(t) : t;
    case 'workers':
      return INTEGER.test(t) ? Number(t) : t;
    case 'fields': {
      // name=value pairs, each parsed by its field's type; what does not parse is kept for the check.
      const fields = spec.fields ?? {};
      const out: Record<string, unknown> = {};
      for (const part of t.split(/\s*,\s*/).filter(Boolean)) {
        const [key, value, ...rest] = part.split('=');
        if (value === undefined || rest.length > 0) return text;
        const f = fields[key.trim()];
        out[key.trim()] = f ? parseOption(f, value) : value;
      }
      return out;
    }
  }
}

/** An option value from a widget's JSON: `null` is the default (undefined), strings parse as from the CLI, the rest is kept. */
export function optionFromJSON(spec: OptionTypeSpec, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' && spec.type !== 'choice' && spec.type !== 'layer' && spec.type !== 'groups') return parseOption(spec, value);
  return value;
}

function unknownOption(where: string, name: string, specs: OptionSpecs<unknown>): OptionError {
  return new OptionError(where, `unknown option ${JSON.stringify(name)}; options: ${Object.keys(specs).join(', ')}`);
}

/**
 * Options from command-line strings (`{relu: 'false', layer: 'conv3'}`), parsed by type and checked as
 * far as they can be without a model; an unknown name is an OptionError listing the options.
 */
export function parseOptions<D>(where: string, specs: OptionSpecs<D>, raw: Readonly<Record<string, string>>): Partial<D> {
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) {
    const spec = (specs as Record<string, OptionSpec>)[name];
    if (!spec) throw unknownOption(where, name, specs as OptionSpecs<unknown>);
    out[name] = checkOption(where, spec, parseOption(spec, text));
  }
  return out as Partial<D>;
}

/** Options from a widget's JSON state, as `parseOptions` does for strings; `null` values are left out (defaults). */
export function optionsFromJSON<D>(where: string, specs: OptionSpecs<D>, raw: Readonly<Record<string, unknown>>): Partial<D> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const spec = (specs as Record<string, OptionSpec>)[name];
    if (!spec) throw unknownOption(where, name, specs as OptionSpecs<unknown>);
    const v = optionFromJSON(spec, value);
    if (v !== undefined) out[name] = checkOption(where, spec, v);
  }
  return out as Partial<D>;
}
