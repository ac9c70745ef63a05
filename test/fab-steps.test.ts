// FAB's steps on worker threads: the same bits as on one thread, for any number of rows and threads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NormName } from '../src/attacks/norms.js';
import { keyFromSeed, fold, normal, uniform } from '../src/engine/rng.js';
import { type FabRows, type FabStepper, inlineSteps } from '../src/eval/fab-rows.js';
import { workerSteps } from '../src/eval/fab-steps-node.js';

const F = 784;

/** MNIST-like rows (most pixels exactly 0 or 1), a current point near them, random gradients and gaps. */
function fill(rows: FabRows, m: number, seed: number): void {
  const key = keyFromSeed(seed);
  const u = uniform(fold(key, 0), m * F);
  const v = uniform(fold(key, 1), m * F);
  const g = normal(fold(key, 2), m * F);
  const df = normal(fold(key, 3), m);
  for (let i = 0; i < m * F; i++) {
    rows.x0[i] = u[i] < 0.7 ? 0 : u[i] < 0.8 ? 1 : u[i];
    rows.x1[i] = Math.min(1, Math.max(0, rows.x0[i] + 0.1 * (v[i] - 0.5)));
    rows.dg[i] = g[i];
  }
  for (let j = 0; j < m; j++) rows.df[j] = 3 * df[j];
}

async function stepped(stepper: FabStepper, norm: NormName, m: number, seed: number): Promise<Float32Array> {
  const rows = stepper.rows(m + 3, F);
  fill(rows, m, seed);
  stepper.begin(norm, rows, m);
  stepper.end(rows);
  return Float32Array.from(rows.x1.subarray(0, m * F));
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe("FAB's steps on worker threads", () => {
  for (const norm of ['linf', 'l2'] as const)
    test(`give the same points as on one thread (${norm}; 1, 2 and 3 workers; row counts off the claim size)`, async () => {
      const one = inlineSteps();
      for (const threads of [2, 4, 6]) {
        const pool = workerSteps(threads);
        for (const [m, seed] of [[1, 1], [37, 2], [130, 3]]) {
          const a = await stepped(one, norm, m, seed);
          const b = await stepped(pool, norm, m, seed);
          assert.ok(same(a, b), `${threads / 2} workers, ${m} rows: points differ`);
          // The step moved the points (the test compares something).
          const rows = one.rows(m, F);
          fill(rows, m, seed);
          assert.ok(!same(a, rows.x1.subarray(0, m * F)), 'the step left the points where they were');
        }
      }
    });

  test('a chunk of rows gets the points it gets among others (rows are stepped independently)', async () => {
    const pool = workerSteps(2);
    const all = await stepped(pool, 'linf', 64, 5);
    const rows = pool.rows(10, F);
    const full = pool.rows(64, F);
    fill(full, 64, 5);
    for (const k of ['x0', 'x1', 'dg'] as const) rows[k].set(full[k].subarray(20 * F, 30 * F));
    rows.df.set(full.df.subarray(20, 30));
    pool.begin('linf', rows, 10);
    pool.end(rows);
    assert.ok(same(rows.x1.subarray(0, 10 * F), all.subarray(20 * F, 30 * F)));
  });

  test('steps begun one after another on different rows each finish (the second waits for the first)', async () => {
    const pool = workerSteps(4);
    const [a, b] = [pool.rows(50, F), pool.rows(70, F)];
    fill(a, 50, 7);
    fill(b, 70, 8);
    pool.begin('linf', a, 50);
    pool.begin('l2', b, 70);
    pool.end(a);
    pool.end(b);
    assert.ok(same(a.x1.subarray(0, 50 * F), await stepped(inlineSteps(), 'linf', 50, 7)));
    assert.ok(same(b.x1.subarray(0, 70 * F), await stepped(inlineSteps(), 'l2', 70, 8)));
    assert.equal(pool.workers, 2);
    assert.equal(workerSteps(1).workers, 0);
  });
});
