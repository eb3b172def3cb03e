/**
 * Loads d3-scale-chromatic (the colormap data) synchronously from CommonJS.
 *
 * d3-scale-chromatic 3 and its dependencies d3-interpolate and d3-color are ES modules whose package
 * `exports` map only "." to the ESM source. Node 20 can `require()` them only from 20.19 on (with a
 * warning), and jest's module system not at all. Each package also ships a self-contained UMD build in
 * dist/, which we evaluate here with a `require` that hands it the other two UMD builds. This keeps the
 * latest d3 versions (d3-color before 3.1 has a ReDoS advisory) and a synchronous `colormap()`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createRequire } from 'module';
import type * as Chromatic from 'd3-scale-chromatic';

type Exports = Record<string, unknown>;

/** The UMD build of `pkg`, resolved from `from` (a file path). */
function loadUmd(pkg: string, from: string, deps: Record<string, Exports>): { exports: Exports; entry: string } {
  const entry = createRequire(from).resolve(pkg); // .../node_modules/<pkg>/src/index.js
  const file = path.join(path.dirname(entry), '..', 'dist', `${pkg}.js`);
  const code = fs.readFileSync(file, 'utf8');
  const exports: Exports = {};
  const module = { exports };
  const requireDep = (name: string): Exports => {
    const dep = deps[name];
    if (!dep) throw new Error(`${file} requires ${name}, which the loader does not provide`);
    return dep;
  };
  // The UMD wrapper sees `exports` and `module`, so it calls factory(exports, require(...)).
  new Function('exports', 'module', 'require', code)(exports, module, requireDep);
  return { exports, entry };
}

let chromatic: typeof Chromatic | null = null;

export function d3Chromatic(): typeof Chromatic {
  if (!chromatic) {
    const scale = createRequire(__filename).resolve('d3-scale-chromatic');
    // Resolve the dependencies from d3-scale-chromatic's own location, wherever npm placed them.
    const color = loadUmd('d3-color', scale, {}).exports;
    const interpolate = loadUmd('d3-interpolate', scale, { 'd3-color': color }).exports;
    chromatic = loadUmd('d3-scale-chromatic', __filename, { 'd3-color': color, 'd3-interpolate': interpolate })
      .exports as unknown as typeof Chromatic;
  }
  return chromatic;
}
