/**
 * Command-line flags for attribution methods, generated from the registry: every option of a method is
 * a flag (`batchSize` is `--batch-size`, a boolean `relu` is `--relu` / `--no-relu`), listed in `--help`
 * with its default and choices. An option whose flag a command already uses for itself (`method`, in
 * `explain`) is prefixed with the method's name: smoothGrad's `method` is `--smooth-grad-method`.
 * `parseOptionText` turns one flag's text into the option's value.
 */
import { listChoices } from '../errors';
import { METHOD_NAMES, type MethodOption, getMethod } from '../methods/registry';
import { type FlagSpec, UsageError, checkChoice, intFlag, kebab, numberFlag } from './args';

/** A method option's flag, and the option it sets. */
export interface MethodFlag extends FlagSpec {
  option: MethodOption;
}

const PLACEHOLDER: Record<MethodOption['type'], string | undefined> = {
  integer: 'N', number: 'X', boolean: undefined, choice: 'NAME', layer: 'LAYER', layers: 'A,B', target: 'T', window: 'N|H,W', baseline: 'B', baselines: 'B', workers: 'N|auto', groups: 'NAME', fields: 'K=V,...',
};

/** The flags of `method`'s options; `reserved` are flag names the command itself uses. */
export function methodFlags(method: string, reserved: readonly string[] = []): MethodFlag[] {
  return getMethod(method).options.map((option) => {
    const plain = kebab(option.name);
    const shown = option.default === null || option.default === undefined ? undefined : String(option.default);
    return {
      option,
      name: reserved.includes(plain) ? `${kebab(method)}-${plain}` : plain,
      value: PLACEHOLDER[option.type],
      // A target function cannot come from a command line: say what can.
      description: option.type === 'target'
        ? 'output to explain: an index, one index per image (1,0,2), or a class name; default: the argmax class'
        : option.description,
      choices: option.type === 'choice' ? option.choices : undefined,
      default: shown,
    };
  });
}

/** Which methods have a flag of this name (for "--window belongs to occlusion"). */
export function methodsWithFlag(flag: string, reserved: readonly string[] = []): string[] {
  return METHOD_NAMES.filter((m) => methodFlags(m, reserved).some((f) => f.name === flag));
}

/** What a target flag becomes: output indices, or class names for the caller to look up in the model's classes. */
export type TargetText = { indices: number[] } | { names: string[] };

/**
 * The value of one method option from its command-line text (a switch arrives as true or false),
 * checked as far as it can be without the model: layer names and class names are checked against the
 * model later. Errors name the flag, the bad value and the valid choices.
 */
export function parseOptionText(where: string, flag: MethodFlag, text: string | boolean): unknown {
  const { option } = flag;
  const name = `--${flag.name}`;
  if (typeof text === 'boolean') {
    if (option.type === 'boolean') return text;
    throw new UsageError(where, `${name} needs a value (${flag.value})`);
  }
  switch (option.type) {
    case 'integer': return intFlag(where, name, text, option.min, option.max);
    case 'number': return numberFlag(where, name, text, option.min, option.max);
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new UsageError(where, `${name} is true or false, got ${JSON.stringify(text)}`);
    case 'choice': return checkChoice(where, name, text, option.choices ?? []);
    case 'layer': return text;
    case 'layers': return text.split(',').map((p) => p.trim()).filter((p) => p !== '');
    case 'target': {
      const parts = text.split(',').map((p) => p.trim());
      if (parts.every((p) => /^\d+$/.test(p))) return { indices: parts.map(Number) } satisfies TargetText;
      if (parts.some((p) => p === '' || /^[-+.\d]/.test(p))) {
        throw new UsageError(where, `${name} needs an output index (0, 1, ...), one index per image (1,0,2) or a class name, got ${JSON.stringify(text)}`);
      }
      return { names: parts } satisfies TargetText;
    }
    case 'window': {
      const parts = text.split(/[,x]/);
      if (parts.length > 2) throw new UsageError(where, `${name} needs one size or two (H,W), got ${JSON.stringify(text)}`);
      const sizes = parts.map((p) => intFlag(where, name, p.trim(), option.min ?? 1));
      return sizes.length === 1 ? sizes[0] : sizes;
    }
    case 'baseline':
    case 'baselines': {
      const named = option.choices ?? [];
      if (named.includes(text)) return text;
      const n = Number(text);
      if (text.trim() !== '' && Number.isFinite(n)) return n;
      throw new UsageError(where, `${name} needs ${named.length ? `${listChoices(named)} or ` : ''}a number, got ${JSON.stringify(text)}`);
    }
    case 'workers':
      return text === 'auto' ? text : intFlag(where, name, text, 1, 256);
    case 'groups': return checkChoice(where, name, text, option.choices ?? []);
    case 'fields': {
      // --approximate tau=0.5,drill-down=0.25: each field by its own type, named --flag.field in errors.
      const fields = Object.values(option.fields ?? {});
      const out: Record<string, unknown> = {};
      for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
        const [key, value, ...rest] = part.split('=').map((p) => p.trim());
        const field = fields.find((f) => f.name === key || kebab(f.name) === key);
        if (value === undefined || rest.length > 0 || !field) {
          throw new UsageError(where, `${name} needs field=value pairs separated by commas (fields: ${fields.map((f) => kebab(f.name)).join(', ')}), got ${JSON.stringify(text)}`);
        }
        out[field.name] = parseOptionText(where, { ...flag, name: `${flag.name}.${kebab(field.name)}`, option: field }, value);
      }
      return out;
    }
  }
}

/** Parses every method flag present in `flags` (flag name → text or switch) into `{optionName: value}`. */
export function methodOptionsFromFlags(where: string, specs: readonly MethodFlag[], flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const text = flags[spec.name];
    if (text === undefined) continue;
    out[spec.option.name] = parseOptionText(where, spec, text as string | boolean);
  }
  return out;
}
