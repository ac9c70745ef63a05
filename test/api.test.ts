// The public API as the README uses it: train, attack over ε, masking checks, all from src/index.ts (not a
// possibly stale dist/); and the package's exports map against the files tsc emits.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as a3t from '../src/index.js';

test('the README library example: a trained model, its robustness report and masking checks', async () => {
  const data = a3t.loadDataset();
  const run = await a3t.train({ ...a3t.regimeSettings(a3t.REGIMES.at), trainEps: 0.1, epochs: 1, trainSize: 5000, validation: 500, threads: 2 }, data);
  const model = a3t.networkModel(run.model.classifier, run.params);
  const bench = new a3t.AttackBench(a3t.take(data.test, 128), a3t.rng.keyFromSeed(0), 2);
  const report = await a3t.robustness(model, bench, { attacks: a3t.parseAttackList('fgsm,pgd-10'), epsilons: [0, 0.1, 0.3] });
  const checks = await a3t.maskingChecks(model, bench, { eps: 0.1 });
  await bench.release();
  assert.deepEqual(report.attacks.map((a) => a.name), ['FGSM', 'PGD-10']);
  assert.ok(report.clean > 0.8, `clean ${report.clean}`);
  assert.ok(report.worstCase[1] < report.clean && report.worstCase[2] <= report.worstCase[1], `worst case ${report.worstCase}`);
  // Without a surrogate the transfer check is skipped, not failed.
  assert.equal(checks.checks.find((c) => c.id === 'transfer')!.passed, null);
  assert.equal(checks.passed, checks.checks.every((c) => c.passed !== false));
});

test("the package's exports map names the files tsc emits from src/, and nothing else is importable", () => {
  // Checked against the sources rather than by importing dist/, which may be a stale build.
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, string | Record<string, string>>; main: string; types: string };
  const tsconfig = JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { outDir: string; rootDir: string; declaration: boolean } };
  const { outDir, rootDir, declaration } = tsconfig.compilerOptions;
  assert.ok(declaration, 'tsc emits the .d.ts files the exports name');
  /** The source tsc compiles into `target` (./dist/x.js or ./dist/x.d.ts ← src/x.ts). */
  const sourceOf = (target: string) => {
    const m = new RegExp(`^\\./${outDir}/(.+)\\.(d\\.ts|js)$`).exec(target);
    assert.ok(m, `${target} is a file tsc writes into ${outDir}/`);
    return `${rootDir}/${m[1]}.ts`;
  };
  assert.deepEqual(Object.keys(pkg.exports), ['.', './browser', './package.json'], 'only the public entry points: no internals, no patterns');
  const targets = Object.entries(pkg.exports).flatMap(([key, t]) => (key === './package.json' ? [] : Object.values(t as Record<string, string>)));
  for (const target of [...targets, `./${pkg.main}`, `./${pkg.types}`]) assert.ok(existsSync(sourceOf(target)), `${target}: ${sourceOf(target)} exists`);
  assert.equal(sourceOf((pkg.exports['.'] as Record<string, string>).import), 'src/index.ts');
  assert.equal(sourceOf((pkg.exports['./browser'] as Record<string, string>).import), 'src/browser.ts');
});
