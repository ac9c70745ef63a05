// The public API as the README uses it: train, attack over ε, masking checks, all from src/index.ts.
import assert from 'node:assert/strict';
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

test('the package exports its public API only: internals are not importable by path', async () => {
  // Self-reference through the package's own name goes through its "exports" map (dist/ is built by npm ci).
  const pkg = await import('a3t');
  assert.equal(typeof pkg.train, 'function');
  assert.equal(typeof pkg.importOnnx, 'function');
  await assert.rejects(import('a3t/dist/engine/ops.js' as string), (e: NodeJS.ErrnoException) => e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED');
});
