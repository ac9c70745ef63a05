// The baselines in the one training loop: PGD-AT, TRADES and A3T with PGD examples, trained for real on
// a little MNIST, are more robust to PGD than plain training.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ATTACKS } from '../src/attacks/spec.js';
import type { Dataset } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/mnist.js';
import { take } from '../src/data/selection.js';
import { keyFromSeed } from '../src/engine/rng.js';
import { compileAttack } from '../src/eval/attack-runner.js';
import { networkArchitecture, networkModel } from '../src/eval/model.js';
import { presetNetwork } from '../src/model/presets.js';
import { REGIMES, regimeSettings } from '../src/objectives/regimes.js';
import { type TrainResult, train } from '../src/train/loop.js';

const SMALL = { trainEps: 0.1, epochs: 2, trainSize: 5000, validation: 500, attackSteps: 5, attackStepSize: 0.5, threads: 2 };
let data: Dataset;
const runs: Record<string, TrainResult> = {};
const pgd: Record<string, number> = {};

before(async () => {
  data = loadDataset();
  const test = take(data.test, 256);
  const attack = await compileAttack(networkArchitecture(presetNetwork('mlp', { image: [1, 28, 28], classes: 10 })), ATTACKS['pgd-10'], { threads: 2 });
  for (const name of ['plain', 'pgd-at', 'trades', 'a3t-pgd']) {
    runs[name] = await train({ ...regimeSettings(REGIMES[name]), ...SMALL }, data);
    const r = runs[name];
    pgd[name] = (await attack.run(networkModel(r.model.classifier, r.params), test, 0.1, keyFromSeed(2))).accuracy;
  }
  await attack.release();
});

test('PGD-AT, TRADES and A3T with PGD examples resist PGD-10 at ε = 0.1 far better than plain training', (t) => {
  t.diagnostic(`PGD-10 accuracy at ε = 0.1: ${JSON.stringify(pgd)}`);
  for (const name of ['pgd-at', 'trades', 'a3t-pgd']) {
    assert.ok(pgd[name] > pgd.plain + 0.15, `${name}: PGD-10 accuracy ${pgd[name]} vs plain ${pgd.plain}`);
    assert.ok(runs[name].history.at(-1)!.validation.clean > 0.7, `${name} still learns: validation ${runs[name].history.at(-1)!.validation.clean}`);
  }
});

test('each baseline trains the parameter groups and reports the metrics its objective defines', () => {
  const last = (n: string) => runs[n].history.at(-1)!.train;
  assert.ok('loss.kl' in last('trades') && !('dacc.clean' in last('trades')), 'TRADES: a KL term, no discriminator');
  assert.ok('dacc.adv' in last('a3t-pgd') && runs['a3t-pgd'].params.discriminator, 'A3T-PGD trains its discriminator');
  assert.equal(runs['pgd-at'].params.discriminator, undefined, 'PGD-AT has no discriminator');
  // PGD-AT's training examples are PGD's: it reports their accuracy, below the clean one.
  assert.ok(last('pgd-at')['acc.adv'] < last('pgd-at')['acc.clean']);
});
