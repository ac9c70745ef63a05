// The engine on both runtimes: the same A3T steps on onnxruntime-node and onnxruntime-web (WASM, run
// here under Node) give the same parameters, and the web backend never hands ORT pre-allocated outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ortWeb from 'onnxruntime-web';
import { useBackend } from '../src/engine/backend.js';
import { nodeBackend } from '../src/engine/backend-node.js';
import { webBackend } from '../src/engine/backend-web.js';
import { fold, keyFromSeed, uniform } from '../src/engine/rng.js';
import type { ModelConfig } from '../src/model/config.js';
import { paperDiscriminator } from '../src/model/discriminator.js';
import { presetNetwork } from '../src/model/presets.js';
import { adversarial } from '../src/objectives/adversarial.js';
import { compileStep } from '../src/train/step.js';
import { closeness } from './helpers.js';

const MODEL: ModelConfig = { classifier: presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }), discriminator: paperDiscriminator(256) };
const ROWS = 32;

/** Six A3T steps (runs of 4 and 2 looped steps) from seed 3 on whichever backend is active. */
async function sixSteps() {
  const step = await compileStep({ objective: adversarial({ alpha: 0.5, beta: 1, eps: 0.1 }), model: MODEL, batchSize: ROWS, maxSteps: 4, threads: 1 });
  step.init(keyFromSeed(3));
  const x = uniform(keyFromSeed(4), 6 * ROWS * 784);
  const y = BigInt64Array.from({ length: 6 * ROWS }, (_, i) => BigInt((i * 7) % 10));
  const keys = Array.from({ length: 6 }, (_, i) => fold(keyFromSeed(5), i));
  const losses: number[] = [];
  for (const [from, k] of [[0, 4], [4, 2]]) {
    const m = await step.run(x.subarray(from * ROWS * 784, (from + k) * ROWS * 784), y.subarray(from * ROWS, (from + k) * ROWS), keys.slice(from, from + k));
    losses.push(...m['loss.classifier']);
  }
  const copy = (n: string) => Float32Array.from(step.program.state(n) as Float32Array);
  const out = { backend: step.program.backend, classifier: copy('classifier'), discriminator: copy('discriminator'), m: copy('classifier.m'), losses, count: step.count };
  await step.program.release();
  return out;
}

test('six A3T steps on onnxruntime-web give the parameters onnxruntime-node gives', async () => {
  useBackend(nodeBackend());
  const node = await sixSteps();
  useBackend(webBackend(ortWeb, { threads: 1 }));
  const web = await sixSteps();
  assert.equal(node.backend.name, 'onnxruntime-node');
  assert.equal(web.backend.name, 'onnxruntime-web wasm, 1 thread');
  assert.equal(web.count, 6);
  // The trap the web backend avoids: state written back as zeros would leave the parameters all zero.
  assert.ok(web.classifier.some((v) => v !== 0) && web.m.some((v) => v !== 0));
  // Training moved the parameters from their init (a state never written back would not).
  assert.ok(closeness(web.losses.slice(0, 1), web.losses.slice(5), 0, 1e-3) > 1, `losses did not change: ${web.losses}`);
  for (const name of ['classifier', 'discriminator', 'm'] as const) {
    const worst = closeness(web[name], node[name], 1e-5, 1e-4);
    assert.ok(worst <= 1, `${name}: web differs from node by ${worst}× the tolerance`);
  }
  assert.ok(closeness(web.losses, node.losses, 1e-5, 1e-4) <= 1, `losses: web ${web.losses} node ${node.losses}`);
});
