/**
 * The built package loads by its name with `require` and with `import` (Node resolves a package's own
 * name through its "exports" from inside it), with the same exports. Needs `npm run build` first, which
 * `npm test` does.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');

test('require and import give the same exports, including the methods', () => {
  expect(fs.existsSync(path.join(root, 'dist', 'index.js'))).toBe(true);
  const script = `
    const cjs = require('saliency-lab');
    import('saliency-lab').then((esm) => {
      const a = Object.keys(cjs).filter((k) => k !== 'default').sort();
      const b = Object.keys(esm).filter((k) => k !== 'default').sort();
      console.log(JSON.stringify({ same: JSON.stringify(a) === JSON.stringify(b), n: a.length,
        gradCam: typeof esm.gradCam, saliencyMap: typeof cjs.saliencyMap, sameFn: esm.vanillaGradient === cjs.vanillaGradient }));
    });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, SALIENCY_BACKEND: 'cpu' } });
  const r = JSON.parse(out.trim().split('\n').pop() as string);
  expect(r).toEqual({ same: true, n: r.n, gradCam: 'function', saliencyMap: 'function', sameFn: true });
  expect(r.n).toBeGreaterThan(40);
});
