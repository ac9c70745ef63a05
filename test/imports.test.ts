// The import graph of src/: no module imports itself through others (type-only and dynamic imports
// count too: a cycle that works today breaks when a use moves to module scope), and evaluation
// imports nothing from training or objectives, directly or through another module.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

/** Relative imports of a module's source: static, re-exports, type-only and dynamic, as resolved .ts paths. */
function relativeImports(file: string, source: string): string[] {
  const specifiers = [
    ...[...source.matchAll(/^\s*(?:import|export)\s[^;()]*?\bfrom\s*['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
    ...[...source.matchAll(/^\s*import\s*['"](\.[^'"]+)['"]/gm)].map((m) => m[1]),
    ...[...source.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]),
  ];
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith('.ts')) {
      const path = join(e.parentPath ?? e.path, e.name);
      files.set(path, readFileSync(path, 'utf8'));
    }
  return files;
}

function graphOf(files: Map<string, string>): Map<string, string[]> {
  return new Map([...files].map(([f, s]) => [f, relativeImports(f, s)]));
}

/** One cycle (its modules in import order, the first repeated at the end), or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): string[] | null => {
    state.set(f, 'open');
    path.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') return [...path.slice(path.indexOf(g)), g];
      if (!state.has(g)) {
        const c = visit(g);
        if (c) return c;
      }
    }
    path.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) if (!state.has(f)) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

function reachable(graph: Map<string, string[]>, from: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    todo.push(...(graph.get(f) ?? []));
  }
  return seen;
}

test('the import walker sees static, type-only, re-exported, multi-line and dynamic imports', () => {
  const files = new Map([
    ['/p/a.ts', "import { b } from './b.js';\n"],
    ['/p/b.ts', "import type {\n  C,\n} from './c.js';\n"],
    ['/p/c.ts', "export { d } from './d.js';\n"],
    ['/p/d.ts', "const m = await import('./a.js');\n"],
    ['/p/e.ts', "import './b.js';\n// import { x } from './a.js'; is a comment, but so is this line: it counts only at a line start\n"],
  ]);
  const graph = graphOf(files);
  assert.deepEqual(graph.get('/p/e.ts'), ['/p/b.ts']);
  assert.deepEqual(findCycle(graph), ['/p/a.ts', '/p/b.ts', '/p/c.ts', '/p/d.ts', '/p/a.ts']);
  files.set('/p/d.ts', 'export const d = 1;\n');
  assert.equal(findCycle(graphOf(files)), null);
});

test('no module of src/ imports itself through others', () => {
  const graph = graphOf(sourceFiles(srcDir));
  assert.ok(graph.size > 50, `read only ${graph.size} modules`);
  const cycle = findCycle(graph);
  assert.equal(cycle, null, `import cycle: ${cycle?.map((f) => relative(srcDir, f)).join(' → ')}`);
});

test('evaluation imports nothing from training or objectives, directly or through another module', () => {
  const graph = graphOf(sourceFiles(srcDir));
  const evalModules = [...graph.keys()].filter((f) => relative(srcDir, f).startsWith('eval/'));
  assert.ok(evalModules.length > 5);
  const bad = [...reachable(graph, evalModules)].map((f) => relative(srcDir, f)).filter((f) => /^(train|objectives)\//.test(f));
  assert.deepEqual(bad, [], `src/eval/ reaches ${bad.join(', ')}`);
});
