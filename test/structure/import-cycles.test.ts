/**
 * No import cycle in src/: a cycle makes what a module sees at load time depend on which module of the
 * cycle was required first (an export read before its module finished loading is `undefined`).
 *
 * The graph has the imports that exist at run time: `import`/`export ... from` declarations that are not
 * type-only, `require('...')` calls and `import('...')` expressions. Type-only imports are erased by
 * TypeScript, so they cannot cycle at run time and are left out.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers that `file` loads at run time. */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause)
        && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])
      && ((ts.isIdentifier(node.expression) && node.expression.text === 'require') || node.expression.kind === ts.SyntaxKind.ImportKeyword)) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs.filter((s) => s.startsWith('.'));
}

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  // A JSON file (package.json, read for the widget module's version) is a leaf of the graph.
  const found = [`${base}.ts`, path.join(base, 'index.ts'), ...(base.endsWith('.json') ? [base] : [])].find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${path.relative(SRC, from)}: cannot resolve import ${JSON.stringify(spec)}`);
  return found;
}

/** Strongly connected components with more than one file (or a file importing itself), Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.map((f) => path.relative(SRC, f).split(path.sep).join('/')).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return out.sort();
}

describe('the import graph of src/', () => {
  const files = sourceFiles(SRC);
  const graph = new Map(files.map((f) => [f, runtimeImports(f).map((s) => resolve(f, s))]));
  const found = cycles(graph);
  const key = (c: string[]) => c.join(' ↔ ');

  test('has no import cycle', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(found.map(key)).toEqual([]);
  });

  test('the detector finds a cycle, and finds it through require() too', () => {
    const a = path.join(SRC, 'a.ts'), b = path.join(SRC, 'b.ts'), c = path.join(SRC, 'c.ts');
    expect(cycles(new Map([[a, [b]], [b, [c]], [c, [a]]]))).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(cycles(new Map([[a, [b]], [b, []]]))).toEqual([]);
    const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'cycles-'));
    try {
      fs.writeFileSync(path.join(tmp, 'x.ts'), "import type { T } from './y';\nexport const f = () => require('./y');\n");
      fs.writeFileSync(path.join(tmp, 'y.ts'), "import { type U } from './x';\nexport * from './x';\nexport type T = 1;\n");
      expect(runtimeImports(path.join(tmp, 'x.ts'))).toEqual(['./y']);
      expect(runtimeImports(path.join(tmp, 'y.ts'))).toEqual(['./x']);
    } finally {
      fs.rmSync(tmp, { recursive: true });
    }
  });
});
