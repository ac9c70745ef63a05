// The library's browser entry bundles for browsers: no Node-only module anywhere in its imports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { browserOnly } from '../web/build.js';

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
