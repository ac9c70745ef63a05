// Attack specs as a tagged union: display names and report records byte for byte as the flat spec gave
// them (fixtures/attack-records.json was written by the parser before the union, from the strings it
// lists); the canonical settings text ignores names and sees every setting; each routine takes only its
// own settings; the dense-first-layer split belongs to the architecture that made it, never to a copy.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ATTACKS, type AttackSpec, attackKeyTag, canonicalSettings, inBall, parseAttack, reportRecord } from '../src/attacks/spec.js';
import { A3tError } from '../src/errors.js';
import { denseFirstOf, maskedModel, networkArchitecture, noisyModel, offerDenseFirst } from '../src/eval/model.js';
import { presetNetwork } from '../src/model/presets.js';

const golden: Record<string, { name: string; record: unknown }> = JSON.parse(readFileSync(new URL('fixtures/attack-records.json', import.meta.url), 'utf8'));

describe('names and report records', () => {
  test('every display name and report record is what the flat spec gave', () => {
    for (const [text, want] of Object.entries(golden)) {
      const l2 = /^L2 suite: (.*)$/.exec(text);
      const spec = l2 ? inBall(parseAttack(l2[1]), 'l2') : parseAttack(text);
      assert.equal(spec.name, want.name, text);
      assert.equal(JSON.stringify(reportRecord(spec)), JSON.stringify(want.record), text);
    }
    assert.ok(Object.keys(ATTACKS).every((k) => k in golden), 'a preset without a golden record');
  });

  test('random keys still come from the display name (committed numbers depend on it)', () => {
    assert.equal(attackKeyTag(parseAttack('pgd-40:norm=l2,steps=20')), 'PGD-20 (norm=l2)');
    assert.equal(attackKeyTag(inBall(ATTACKS.autoattack, 'l2')), 'AutoAttack (L2)');
  });

  test('an attack that names its norm keeps it in a suite of another ball; the others move and say so', () => {
    assert.equal(inBall(parseAttack('pgd-40:norm=linf'), 'l2').norm, 'linf');
    const moved = inBall(ATTACKS.autoattack, 'l2');
    assert.equal(moved.name, 'AutoAttack (L2)');
    assert.deepEqual(moved.routine === 'ensemble' && moved.members.map((m) => m.norm), ['l2', 'l2', 'l2', 'l2']);
    assert.equal(inBall(ATTACKS.fgsm, 'linf'), ATTACKS.fgsm);
  });
});

describe('canonical settings', () => {
  test('equal settings under other names give equal texts', () => {
    assert.equal(canonicalSettings({ ...ATTACKS['pgd-40'], name: 'something else' }), canonicalSettings(ATTACKS['pgd-40']));
    assert.equal(canonicalSettings(parseAttack('pgd-40:norm=l2')), canonicalSettings(inBall(ATTACKS['pgd-40'], 'l2')));
    assert.equal(canonicalSettings(parseAttack('pgd-10:steps=40')), canonicalSettings(ATTACKS['pgd-40']));
    assert.equal(canonicalSettings({ ...ATTACKS['apgd-ce'], eot: 1 }), canonicalSettings(ATTACKS['apgd-ce']), 'a default written out');
    assert.equal(canonicalSettings({ ...ATTACKS.square, rescale: false }), canonicalSettings(ATTACKS.square), 'a default written out');
    const renamedMembers = { ...ATTACKS.autoattack, name: 'AA', members: ATTACKS.autoattack.members.map((m) => ({ ...m, name: `${m.name}!` })) };
    assert.equal(canonicalSettings(renamedMembers), canonicalSettings(ATTACKS.autoattack));
  });

  test('every change of a setting changes the text', () => {
    const variants: AttackSpec[] = [
      ATTACKS['pgd-40'],
      { ...ATTACKS['pgd-40'], steps: 41 },
      { ...ATTACKS['pgd-40'], stepSize: 0.1 },
      { ...ATTACKS['pgd-40'], momentum: 0.5 },
      { ...ATTACKS['pgd-40'], randomStart: false },
      { ...ATTACKS['pgd-40'], restarts: 2 },
      { ...ATTACKS['pgd-40'], target: 'next' },
      { ...ATTACKS['pgd-40'], loss: 'dlr' },
      { ...ATTACKS['pgd-40'], norm: 'l2' },
      { ...ATTACKS['apgd-ce'], steps: 40 },
      ATTACKS['apgd-ce'],
      { ...ATTACKS['apgd-ce'], eot: 2 },
      ATTACKS.square,
      { ...ATTACKS.square, queries: 4999 },
      { ...ATTACKS.square, restarts: 2 },
      { ...ATTACKS.square, rescale: true },
      ATTACKS['fab-t'],
      { ...ATTACKS['fab-t'], iterations: 99 },
      { ...ATTACKS['fab-t'], targets: 8 },
      ATTACKS.autoattack,
      { ...ATTACKS.autoattack, members: ATTACKS.autoattack.members.slice(0, 3) },
      { ...ATTACKS.autoattack, members: [...ATTACKS.autoattack.members].reverse() },
      { ...ATTACKS.autoattack, members: [ATTACKS['apgd-ce'], ATTACKS['apgd-t'], ATTACKS['fab-t'], { ...ATTACKS.square, queries: 10 }] },
    ];
    const texts = variants.map(canonicalSettings);
    assert.equal(new Set(texts).size, texts.length, texts.filter((t, i) => texts.indexOf(t) !== i).join('\n'));
  });
});

describe('settings per routine', () => {
  const usage = (text: string, what: RegExp) =>
    assert.throws(() => parseAttack(text), (e: unknown) => e instanceof A3tError && e.kind === 'usage' && what.test(e.message), `parseAttack('${text}')`);

  test("a routine's settings are its own fields: Square counts queries, FAB iterations and target classes", () => {
    const square = parseAttack('square:steps=300,restarts=2');
    assert.deepEqual(square.routine === 'square' && [square.queries, square.restarts, square.rescale], [300, 2, true]);
    const fab = parseAttack('fab-t:steps=20,restarts=3');
    assert.deepEqual(fab.routine === 'fab' && [fab.iterations, fab.targets], [20, 3]);
    for (const spec of [square, fab, ATTACKS.autoattack]) assert.ok(!('steps' in spec) && !('stepSize' in spec), `${spec.name}: a placeholder field`);
  });

  test('settings a routine does not take are refused, naming what it takes', () => {
    usage('square:target=next', /unknown setting 'target' for Square-5000 \(expected norm, steps, restarts\)/);
    usage('fab-t:start=random', /unknown setting 'start' for FAB-T/);
    usage('square:step=0.1', /not for APGD or Square/);
    usage('fab-t:eot=2', /APGD only/);
    usage('fab-t:restarts=0', /restarts must be an integer from 1 to 1000/);
    usage('square:steps=10001', /steps must be an integer from 1 to 10000/);
  });
});

describe('the dense-first-layer split', () => {
  const arch = networkArchitecture(presetNetwork('mlp', { image: [1, 28, 28], classes: 10 }));

  test('belongs to the architecture that made it: copies and wrappers get none', () => {
    assert.ok(denseFirstOf(arch), 'the MLP offers its dense first layer');
    assert.equal(denseFirstOf({ ...arch }), undefined);
    assert.equal(denseFirstOf({ ...arch, trace: arch.trace }), undefined);
    const params = {};
    assert.equal(denseFirstOf(maskedModel({ arch, params }).arch), undefined);
    assert.equal(denseFirstOf(noisyModel({ arch, params }, 0.1).arch), undefined);
  });

  test('a wrapper that keeps the logits may opt in', () => {
    const copy = offerDenseFirst({ ...arch, id: `${arch.id} copy` }, denseFirstOf(arch)!);
    assert.equal(denseFirstOf(copy), denseFirstOf(arch));
  });
});
