/**
 * The README's option tables of the measures (section "Which map to trust") against the option specs they
 * are declared in: every option has a row, and the row shows the spec's default.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DELETION_OPTIONS, INSERTION_OPTIONS } from '../../src/metrics/pixel-curve';
import { INFIDELITY_OPTIONS } from '../../src/metrics/infidelity';
import { SENSITIVITY_MAX_OPTIONS } from '../../src/metrics/sensitivity';
import { RANDOMISATION_OPTIONS } from '../../src/metrics/randomisation';
import { ROAD_FRACTIONS, ROAD_OPTIONS } from '../../src/metrics/road';
import type { OptionSpec } from '../../src/methods/options';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('<!-- section:metrics -->'), readme.indexOf('<!-- section:tutorials -->'));
const rowOf = (name: string) => section.split('\n').filter((l) => l.startsWith(`| \`${name}\``));
const shown = (v: unknown) => (v === null ? 'random' : typeof v === 'string' ? `\`'${v}'\`` : `\`${JSON.stringify(v)}\``);

describe('README option tables of the measures', () => {
  it('lists each option of deletion, insertion, infidelity, sensitivityMax and road with its default', () => {
    const sets: [string, Record<string, OptionSpec>][] = [
      ['deletion', DELETION_OPTIONS], ['insertion', INSERTION_OPTIONS], ['infidelity', INFIDELITY_OPTIONS], ['sensitivityMax', SENSITIVITY_MAX_OPTIONS], ['road', ROAD_OPTIONS],
    ];
    for (const [, specs] of sets) {
      for (const spec of Object.values(specs)) {
        if (spec.name === 'target' || (spec.name === 'preSoftmax' && spec.default === true)) {
          expect(section).toMatch(/\| `target`/);
          continue;
        }
        const rows = rowOf(spec.name);
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.some((r) => r.includes(shown(spec.default)))).toBe(true);
      }
    }
  });

  it('shows ROAD’s default fractions', () => {
    expect(ROAD_FRACTIONS).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(rowOf('fractions')[0]).toContain('| 0.1, 0.2, …, 0.9 |');
  });

  it('names the randomisation modes and default', () => {
    expect(RANDOMISATION_OPTIONS.mode.default).toBe('cascading');
    expect(section).toContain("`mode: 'cascading'` (default)");
    expect(section).toContain("`'independent'`");
  });
});
