/**
 * The README's method tables are generated from the registry (`npm run docs`, scripts/gen-readme.js):
 * this checks that the README holds what the generator makes from the registry in src/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { getMethod, METHOD_NAMES } from '../../src/methods/registry';
import { opCoverageTable } from '../../src/models/op-coverage';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const gen = require('../../scripts/gen-readme.js') as {
  renderMethodTables(names: readonly string[], get: typeof getMethod): string;
  withTables(readme: string, tables: string): string;
  withOpTable(readme: string, table: string): string;
};

test('the README method tables match the registry (run `npm run docs` after changing a method)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const tables = gen.renderMethodTables(METHOD_NAMES, getMethod);
  for (const name of METHOD_NAMES) expect(tables).toContain(`| \`${name}\` |`);
  expect(gen.withTables(readme, tables)).toBe(readme);
});

test('the README op-coverage table matches src/models/op-coverage.ts (run `npm run docs` after changing it)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const table = opCoverageTable();
  expect(table).toContain('| `DepthwiseConv2d`, `DepthwiseConv2dNative` |');
  expect(gen.withOpTable(readme, table)).toBe(readme);
});
