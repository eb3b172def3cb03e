import { createRequire } from 'module';
import { carryRequireAliases } from '../../src/kernel/executor';

const ts = createRequire(require.resolve('tslab'))('@tslab/typescript-for-tslab') as typeof import('@tslab/typescript-for-tslab');

describe("carrying tslab's require aliases to the next cell", () => {
  const prev = '/// <reference types="node" />\nimport fs = require("fs");\nimport tslab = require("tslab");\nexport declare const n: number;\n';

  test('aliases the new declarations lack are kept; names declared again are not', () => {
    expect(carryRequireAliases(ts, prev, 'export declare const n: number;\n')).toBe('export declare const n: number;\nimport fs = require("fs");\nimport tslab = require("tslab");\n');
    expect(carryRequireAliases(ts, prev, 'export declare let tslab: string;')).toBe('export declare let tslab: string;\nimport fs = require("fs");\n');
    expect(carryRequireAliases(ts, prev, 'import fs = require("fs");\nimport tslab = require("tslab");\n')).toBe('import fs = require("fs");\nimport tslab = require("tslab");\n');
    expect(carryRequireAliases(ts, 'export declare const n: number;\n', '')).toBe('');
  });
});
