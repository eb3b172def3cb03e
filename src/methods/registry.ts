/**
 * The list of attribution methods, for widgets, the command line and the README: each entry says what
 * the method computes and returns, its capabilities (see MethodCapabilities) and its options. Options
 * come from the method files themselves (their `XXX_DEFAULTS` and `XXX_OPTIONS`), so a default is
 * written once; the README's method tables are generated from this list (`npm run docs`).
 *
 * Running a method by name:
 *
 *   runMethod('gradCam', model, x, { layer: 'conv3', relu: false })
 *
 * From the command line or a widget, the values arrive as strings or JSON. Parse them with the option
 * types first, which also checks what can be checked without a model (one wording, an OptionError):
 *
 *   const options = parseMethodOptions('occlusion', { window: '8,4', batchSize: '16' });  // CLI strings
 *   // → { window: [8, 4], batchSize: 16 }
 *   const options = methodOptionsFromJSON('gradCam', { layer: 'conv3', relu: false, target: null });
 *   // → { layer: 'conv3', relu: false }   (null: the default)
 *   await runMethod('occlusion', model, x, options);
 *
 * Each option's type (`integer`, `number`, `boolean`, `choice`, `layer`, `target`, `window`, `baseline`)
 * says how its string parses (see ./options): `target` takes `3` or `0,2,1` (one per item), `window`
 * takes `8` or `8,4`, `baseline` takes a name (`zeros`, `blur`) or a number; a default of `null` is
 * computed at run time (`defaultText` says how).
 */
import type * as tf from '@tensorflow/tfjs';
import { OptionError } from '../errors';
import type { Model } from '../models/types';
import { MethodInfo, WRAPPABLE_METHODS } from './entries';
import { OptionSpec, optionsFromJSON, parseOptions } from './options';
import { SMOOTH_GRAD_OPTIONS, smoothGrad } from './smooth-grad';

export type { MethodCapabilities, MethodInfo, MethodOption } from './entries';

const smoothGradEntry: MethodInfo = {
  family: 'gradient', output: 'input', usesLayer: false, long: true, reluRule: null, multipliesByInput: false, convergenceDelta: false,
  name: 'smoothGrad', title: 'SmoothGrad', reference: 'Smilkov et al. 2017; Captum NoiseTunnel',
  summary: 'the mean (or mean square, or variance: `type`) of any method’s result (`method`) over `samples` noisy copies with σ = `noise` × the item’s value range; shaped as that method’s result',
  options: Object.values<OptionSpec>(SMOOTH_GRAD_OPTIONS),
  run: (m, x, o) => smoothGrad(m, x, o),
};

const { vanillaGradient, saliencyMap, gradientTimesInput, ...rest } = WRAPPABLE_METHODS;
const entries: MethodInfo[] = [vanillaGradient, saliencyMap, gradientTimesInput, smoothGradEntry, ...Object.values<MethodInfo>(rest)];

/** Every attribution method by name. */
export const METHODS: Readonly<Record<string, MethodInfo>> = Object.freeze(Object.fromEntries(entries.map((e) => [e.name, e])));

/** Method names, in a stable order (gradient, path, CAM, perturbation). */
export const METHOD_NAMES: readonly string[] = entries.map((e) => e.name);

/** A method's entry; an unknown name is an OptionError listing the names. */
export function getMethod(name: string): MethodInfo {
  const m = Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name] : undefined;
  if (!m) throw new OptionError('getMethod', `unknown method ${JSON.stringify(name)}; methods: ${METHOD_NAMES.join(', ')}`);
  return m;
}

function specsOf(info: MethodInfo): Record<string, OptionSpec> {
  return Object.fromEntries(info.options.map((o) => [o.name, o]));
}

/**
 * A method's options from command-line strings, `{option: text}`: each parsed by its type and checked
 * as far as it can be without a model; an unknown option is an OptionError that lists the method's
 * options. Errors name the method (`gradCam: relu must be true or false, got "maybe"`).
 */
export function parseMethodOptions(name: string, raw: Readonly<Record<string, string>>): Record<string, unknown> {
  const info = getMethod(name);
  return parseOptions(info.name, specsOf(info), raw);
}

/** A method's options from a widget's JSON state, as `parseMethodOptions` does; `null` means the default. */
export function methodOptionsFromJSON(name: string, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const info = getMethod(name);
  return optionsFromJSON(info.name, specsOf(info), raw);
}

/** Runs a method by name. The caller owns the result. */
export function runMethod(name: string, model: Model, input: tf.Tensor, options: Record<string, unknown> = {}): Promise<tf.Tensor> {
  return getMethod(name).run(model, input, options);
}
