// Attacks as values: which routine, its settings, the loss it ascends and how often it restarts;
// the named presets of the CLI and a parser for `name:key=value,...` overrides.
import * as o from '../engine/ops.js';
import { usageError } from '../errors.js';
import type { Tensor } from '../engine/tensor.js';
import { apgd } from './apgd.js';
import type { AttackGraphInputs } from './graph.js';
import { crossEntropyRows, dlrRows, dlrTargetedRows } from './losses.js';
import { NORMS, NORM_NAMES, type NormName } from './norms.js';
import { type StepRule, gradientSteps } from './steps.js';

/** How a targeted attack picks its target class from the clean logits (AutoAttack's APGD-T: 'ranked'). */
export type TargetMode = 'none' | 'least-likely' | 'next' | 'ranked';
export const TARGET_MODES: readonly TargetMode[] = ['none', 'least-likely', 'next', 'ranked'];

export interface AttackSpec {
  /** Shown in reports, e.g. 'PGD-40'. */
  name: string;
  /** The gradient-step loop, APGD, Square (score-based: `steps` counts its queries), FAB (minimum-norm), or an ensemble of `members`. */
  routine: 'steps' | 'apgd' | 'square' | 'fab' | 'ensemble';
  norm: NormName;
  steps: number;
  /** Step length as a fraction of ε (the step routine; APGD sets its own). */
  stepSize: number;
  /** MIM's momentum μ (the step routine). */
  momentum: number;
  randomStart: boolean;
  /** Runs from fresh random starts; each later one only on the examples still classified correctly. */
  restarts: number;
  /** Targeted attacks descend the loss towards a target class: CE, or APGD-T's targeted DLR. */
  target: TargetMode;
  loss: 'ce' | 'dlr' | 'margin';
  /** Square: its window schedule rescaled to `steps` queries (AutoAttack's SquareAttack default; its standard ensemble's 5,000 run unrescaled). */
  rescale?: boolean;
  /** APGD: gradients averaged over this many draws of a model random at inference (expectation over transformation; default 1). */
  eot?: number;
  /** An ensemble's attacks, in order: each runs on the examples all before it left standing. */
  members?: readonly AttackSpec[];
}

const base = { norm: 'linf' as NormName, momentum: 0, restarts: 1, target: 'none' as TargetMode, loss: 'ce' as const };
const pgd = (steps: number): AttackSpec => ({ ...base, name: `PGD-${steps}`, routine: 'steps', steps, stepSize: 2.5 / steps, randomStart: true });

const APGD_CE: AttackSpec = { ...base, name: 'APGD-CE', routine: 'apgd', steps: 100, stepSize: 2, randomStart: true };
const APGD_DLR: AttackSpec = { ...APGD_CE, name: 'APGD-DLR', loss: 'dlr' };
const APGD_T: AttackSpec = { ...base, name: 'APGD-T', routine: 'apgd', steps: 100, stepSize: 2, randomStart: true, restarts: 9, target: 'ranked', loss: 'dlr' };
/** AutoAttack's Square: 5,000 queries of the margin loss, p_init 0.8, one restart. */
const SQUARE: AttackSpec = { ...base, name: 'Square-5000', routine: 'square', steps: 5000, stepSize: 0, randomStart: true, loss: 'margin' };
/** AutoAttack's FAB-T: 100 iterations towards each of the 9 most likely other classes, from the clean point. */
const FAB_T: AttackSpec = { ...base, name: 'FAB-T', routine: 'fab', steps: 100, stepSize: 0, randomStart: false, restarts: 9, target: 'ranked', loss: 'margin' };

/** The presets, by CLI name. `pgd-N` for any N is understood too. */
export const ATTACKS: Readonly<Record<string, AttackSpec>> = {
  fgsm: { ...base, name: 'FGSM', routine: 'steps', steps: 1, stepSize: 1, randomStart: false },
  bim: { ...base, name: 'BIM-10', routine: 'steps', steps: 10, stepSize: 0.25, randomStart: false },
  'pgd-10': pgd(10),
  'pgd-40': pgd(40),
  mim: { ...base, name: 'MIM-10', routine: 'steps', steps: 10, stepSize: 0.1, momentum: 1, randomStart: false },
  'apgd-ce': APGD_CE,
  'apgd-t': APGD_T,
  square: SQUARE,
  'fab-t': FAB_T,
  'apgd-dlr': APGD_DLR,
  /** AutoAttack's standard ensemble: APGD-CE, APGD-T, FAB-T, Square, each on the examples still standing. */
  autoattack: { ...base, name: 'AutoAttack', routine: 'ensemble', steps: 0, stepSize: 0, randomStart: true, members: [APGD_CE, APGD_T, FAB_T, SQUARE] },
  /** AutoAttack's version for models random at inference: APGD-CE and APGD-DLR, gradients averaged over 20 draws. */
  'autoattack-rand': { ...base, name: 'AutoAttack-rand', routine: 'ensemble', steps: 0, stepSize: 0, randomStart: true, members: [{ ...APGD_CE, name: 'APGD-CE (EOT-20)', eot: 20 }, { ...APGD_DLR, name: 'APGD-DLR (EOT-20)', eot: 20 }] },
};

/**
 * Attacks from a comma-separated list of `name` or `name:key=value,...`: a piece of the form key=value
 * continues the attack before it ('fgsm,pgd-40:norm=l2,restarts=2' is two attacks).
 */
export function parseAttackList(text: string): AttackSpec[] {
  const items: string[] = [];
  for (const piece of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    if (/^[^:]*=/.test(piece) && items.length && items[items.length - 1].includes(':')) items[items.length - 1] += `,${piece}`;
    else items.push(piece);
  }
  return items.map(parseAttack);
}

/** The attack in another ball (an ensemble's members with it). */
export function withNorm(spec: AttackSpec, norm: NormName): AttackSpec {
  return { ...spec, norm, ...(spec.members ? { members: spec.members.map((m) => withNorm(m, norm)) } : {}) };
}

/** An attack from `name` or `name:key=value,...` (keys: steps, step, restarts, norm, momentum, target, start, eot). */
export function parseAttack(text: string): AttackSpec {
  const [id, opts = ''] = text.split(/:(.*)/s, 2);
  const key = id.trim().toLowerCase();
  const m = /^pgd-(\d+)$/.exec(key);
  const preset = ATTACKS[key] ?? (m && Number(m[1]) >= 1 ? pgd(Number(m[1])) : undefined);
  if (!preset) throw usageError(`unknown attack '${id}': expected one of ${Object.keys(ATTACKS).join(', ')}, pgd-N, optionally followed by :key=value,...`);
  const spec = { ...preset };
  if (spec.routine === 'ensemble' && opts.trim() && !/^\s*norm\s*=[^,]*$/.test(opts)) throw usageError(`attack '${text}': ${spec.name} takes only norm=linf|l2 (its members run with AutoAttack's settings)`);
  const bad = (k: string, want: string, v: string) => usageError(`attack '${text}': ${k} must be ${want}, got '${v}'`);
  for (const part of opts.split(',').filter((p) => p.trim())) {
    const [k, v = ''] = part.split(/=(.*)/s, 2).map((s) => s.trim());
    const n = Number(v);
    if (k === 'steps') {
      if (!(Number.isInteger(n) && n >= 1 && n <= 10000)) throw bad(k, 'an integer from 1 to 10000', v);
      if (spec.routine === 'steps' && preset.name.startsWith('PGD') && !/(^|,)\s*step\s*=/.test(opts)) spec.stepSize = 2.5 / n;
      // Another query budget: the window schedule follows it (SquareAttack's default).
      if (spec.routine === 'square') spec.rescale = true;
      spec.steps = n;
    } else if (k === 'step') {
      if (!(n > 0 && n <= 10) || spec.routine !== 'steps') throw bad(k, 'a fraction of ε in (0, 10] (not for APGD or Square, which set their own)', v);
      spec.stepSize = n;
    } else if (k === 'restarts') {
      if (!(Number.isInteger(n) && n >= 1 && n <= 1000)) throw bad(k, 'an integer from 1 to 1000', v);
      spec.restarts = n;
    } else if (k === 'norm') {
      if (!NORM_NAMES.includes(v as NormName)) throw bad(k, NORM_NAMES.join(' or '), v);
      Object.assign(spec, withNorm(spec, v as NormName));
    } else if (k === 'eot') {
      if (!(Number.isInteger(n) && n >= 1 && n <= 1000) || spec.routine !== 'apgd') throw bad(k, 'an integer from 1 to 1000 (APGD only)', v);
      spec.eot = n;
    } else if (k === 'momentum') {
      if (!(n >= 0 && n <= 10) || spec.routine !== 'steps') throw bad(k, 'a number in [0, 10] (not for APGD or Square)', v);
      spec.momentum = n;
    } else if (k === 'target') {
      if (!TARGET_MODES.includes(v as TargetMode)) throw bad(k, TARGET_MODES.join(', '), v);
      spec.target = v as TargetMode;
      if (spec.target === 'none') spec.loss = 'ce';
    } else if (k === 'start') {
      if (v !== 'random' && v !== 'clean') throw bad(k, "'random' or 'clean'", v);
      spec.randomStart = v === 'random';
    } else throw usageError(`attack '${text}': unknown setting '${k}' (expected steps, step, restarts, norm, momentum, target, start, eot)`);
  }
  const rest = opts.split(',').map((p) => p.trim()).filter((p) => p && !(p.startsWith('steps=') && /-\d+$/.test(preset.name)));
  spec.name = `${preset.name.replace(/-\d+$/, `-${spec.steps}`)}${rest.length ? ` (${rest.join(', ')})` : ''}`;
  return spec;
}

/**
 * The attack's final point, as a graph: its iterates go to io.visit. `onehot` holds the true labels,
 * `target` (one-hot) the target classes of a targeted attack.
 */
export function attackPoint(spec: AttackSpec, io: Omit<AttackGraphInputs, 'loss' | 'norm'>, onehot: Tensor, target?: Tensor): Tensor {
  if (spec.target !== 'none' && !target) throw new Error(`${spec.name} is targeted: it needs target classes`);
  // With EOT the loss sees each row `draws` times, stacked along the batch.
  const draws = spec.eot ?? 1;
  if (draws > 1 && spec.routine !== 'apgd') throw new Error(`${spec.name}: expectation over transformation is implemented for APGD`);
  const tile = (t: Tensor) => (draws > 1 ? o.concat(Array.from({ length: draws }, () => t), 0) : t);
  const [y, t] = [tile(onehot), target && tile(target)];
  const loss =
    spec.target === 'none'
      ? spec.loss === 'dlr'
        ? (z: Tensor) => dlrRows(z, y)
        : (z: Tensor) => crossEntropyRows(z, y)
      : spec.loss === 'dlr'
        ? (z: Tensor) => dlrTargetedRows(z, y, t!)
        : (z: Tensor) => o.neg(crossEntropyRows(z, t!));
  const full: AttackGraphInputs = { ...io, norm: NORMS[spec.norm], loss, start: spec.randomStart ? io.start : undefined, eot: draws };
  if (spec.randomStart && !io.start) throw new Error(`${spec.name} starts at random: it needs start noise`);
  if (spec.routine !== 'steps' && spec.routine !== 'apgd') throw new Error(`${spec.name} runs its own loop (compileAttack), not as one graph`);
  if (spec.routine === 'apgd') return apgd(spec.steps, full);
  const rule: StepRule = { steps: spec.steps, stepSize: spec.stepSize, momentum: spec.momentum };
  return gradientSteps(rule, full);
}
