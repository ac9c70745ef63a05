// The library's browser entry bundles for browsers: no Node-only module anywhere in its imports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { browserEntryOnly, browserOnly } from '../web/build.js';

test('src/browser.ts bundles for browsers without any Node-only module', async () => {
  const r = await esbuild.build({ entryPoints: ['src/browser.ts'], bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent', plugins: [browserOnly] });
  assert.deepEqual(r.errors, []);
  const code = r.outputFiles[0].text;
  assert.ok(code.includes('onnxruntime-web ${device}'), 'the bundle holds the web backend');
  assert.doesNotMatch(code, /from\s*["']node:|require\(["']node:/);
});

test('the Node-only guard refuses a module that imports node:fs', async () => {
  await assert.rejects(
    esbuild.build({ entryPoints: ['src/data/mnist.ts'], bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent', plugins: [browserOnly] }),
    (e: Error) => /node:fs is Node-only, imported by src\/data\/mnist\.ts/.test(e.message),
  );
});

test('the page bundles against the browser entry only, and the guard refuses a web/src import of a library internal', async () => {
  const page = await esbuild.build({ entryPoints: ['web/src/main.ts', 'web/src/train-worker.ts'], outdir: 'unused', bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent', plugins: [browserEntryOnly, browserOnly] });
  assert.deepEqual(page.errors, []);
  const internal = { contents: "export { softmaxRow } from '../../src/eval/predict.js';", resolveDir: `${process.cwd()}/web/src`, sourcefile: 'web/src/probe.ts', loader: 'ts' as const };
  await assert.rejects(
    esbuild.build({ stdin: internal, bundle: true, write: false, format: 'esm', platform: 'browser', logLevel: 'silent', plugins: [browserEntryOnly, browserOnly] }),
    (e: Error) => /imports \.\.\/\.\.\/src\/eval\/predict\.js: the page uses the library through src\/browser\.ts only/.test(e.message),
  );
});

// The bundle never sees type-only imports (esbuild drops them before resolving): the sources are read too.
test('web/src files import library code from src/browser.ts only', () => {
  for (const f of readdirSync('web/src')) {
    const code = readFileSync(`web/src/${f}`, 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      if (m[1].includes('/src/')) assert.equal(m[1], '../../src/browser.js', `web/src/${f} imports ${m[1]}: import it from ../../src/browser.js`);
    }
  }
});
