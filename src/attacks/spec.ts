// Attacks as values: a tagged union with one type per routine, each with its own settings; one table keyed
// by routine holds each routine's settings parser, its legacy report record and its canonical settings;
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

interface Named {
  /** Shown in reports, e.g. 'PGD-40'. Display only: settings live in the fields (but see attackKeyTag). */
  name: string;
  norm: NormName;
  /** The norm came from the attack's own settings (norm=…): a suite's ball leaves it alone. */
  pinnedNorm?: true;
}

/** What the two graph routines (gradient steps, APGD) share. */
interface GradientSettings {
  steps: number;
  randomStart: boolean;
  /** Runs from fresh random starts; each later one only on the examples still classified correctly. */
  restarts: number;
  /** Targeted attacks descend the loss towards a target class: CE, or APGD-T's targeted DLR. */
  target: TargetMode;
  loss: 'ce' | 'dlr';
}

/** FGSM, BIM, PGD, MIM: the gradient-step loop. */
export interface StepsAttack extends Named, GradientSettings {
  routine: 'steps';
  /** Step length as a fraction of ε. */
  stepSize: number;
  /** MIM's momentum μ. */
  momentum: number;
  /** 'pgd-default': a steps= override without step= sets the step to 2.5 / steps (PGD's rule). A parsing rule, not a setting. */
  stepRule?: 'pgd-default';
}

export interface ApgdAttack extends Named, GradientSettings {
  routine: 'apgd';
  /** Gradients averaged over this many draws of a model random at inference (expectation over transformation; default 1). */
  eot?: number;
}

/** Score-based: the margin loss over `queries` queries per restart, on the examples still standing. */
export interface SquareAttack extends Named {
  routine: 'square';
  queries: number;
  restarts: number;
  /** The window schedule rescaled to `queries` (SquareAttack's default; AutoAttack's standard ensemble's 5,000 run unrescaled). */
  rescale?: boolean;
}

/** FAB-T: minimum-norm, `iterations` towards each of the `targets` most likely other classes in turn, from the clean point. */
export interface FabAttack extends Named {
  routine: 'fab';
  iterations: number;
  targets: number;
}

/** Attacks in order: each runs on the examples all before it left standing. */
export interface EnsembleAttack extends Named {
  routine: 'ensemble';
  members: readonly AttackSpec[];
}

export type AttackSpec = StepsAttack | ApgdAttack | SquareAttack | FabAttack | EnsembleAttack;
export type Routine = AttackSpec['routine'];
export type AttackOf<R extends Routine> = Extract<AttackSpec, { routine: R }>;
/** The attacks that are one graph (attackPoint): what training and the gradient runner take. */
export type GraphAttack = StepsAttack | ApgdAttack;

const gradient = { norm: 'linf' as NormName, restarts: 1, target: 'none' as TargetMode, loss: 'ce' as const };
const pgd = (steps: number): StepsAttack => ({ ...gradient, name: `PGD-${steps}`, routine: 'steps', steps, stepSize: 2.5 / steps, momentum: 0, randomStart: true, stepRule: 'pgd-default' });

const APGD_CE: ApgdAttack = { ...gradient, name: 'APGD-CE', routine: 'apgd', steps: 100, randomStart: true };
const APGD_DLR: ApgdAttack = { ...APGD_CE, name: 'APGD-DLR', loss: 'dlr' };
const APGD_T: ApgdAttack = { ...APGD_CE, name: 'APGD-T', restarts: 9, target: 'ranked', loss: 'dlr' };
/** AutoAttack's Square: 5,000 queries of the margin loss, p_init 0.8, one restart. */
const SQUARE: SquareAttack = { name: 'Square-5000', routine: 'square', norm: 'linf', queries: 5000, restarts: 1 };
/** AutoAttack's FAB-T: 100 iterations towards each of the 9 most likely other classes, from the clean point. */
const FAB_T: FabAttack = { name: 'FAB-T', routine: 'fab', norm: 'linf', iterations: 100, targets: 9 };

const FGSM: StepsAttack = { ...gradient, name: 'FGSM', routine: 'steps', steps: 1, stepSize: 1, momentum: 0, randomStart: false };
const BIM: StepsAttack = { ...gradient, name: 'BIM-10', routine: 'steps', steps: 10, stepSize: 0.25, momentum: 0, randomStart: false };
const MIM: StepsAttack = { ...gradient, name: 'MIM-10', routine: 'steps', steps: 10, stepSize: 0.1, momentum: 1, randomStart: false };
/** AutoAttack's standard ensemble: APGD-CE, APGD-T, FAB-T, Square, each on the examples still standing. */
const AUTOATTACK: EnsembleAttack = { name: 'AutoAttack', routine: 'ensemble', norm: 'linf', members: [APGD_CE, APGD_T, FAB_T, SQUARE] };
/** AutoAttack's version for models random at inference: APGD-CE and APGD-DLR, gradients averaged over 20 draws. */
const AUTOATTACK_RAND: EnsembleAttack = { name: 'AutoAttack-rand', routine: 'ensemble', norm: 'linf', members: [{ ...APGD_CE, name: 'APGD-CE (EOT-20)', eot: 20 }, { ...APGD_DLR, name: 'APGD-DLR (EOT-20)', eot: 20 }] };

/** The presets, by CLI name. `pgd-N` for any N is understood too. */
export const ATTACKS = {
  fgsm: FGSM,
  bim: BIM,
  'pgd-10': pgd(10),
  'pgd-40': pgd(40),
  mim: MIM,
  'apgd-ce': APGD_CE,
  'apgd-t': APGD_T,
  square: SQUARE,
  'fab-t': FAB_T,
  'apgd-dlr': APGD_DLR,
  autoattack: AUTOATTACK,
  'autoattack-rand': AUTOATTACK_RAND,
} as const satisfies Record<string, AttackSpec>;

/** One `key=value` of an attack's settings, applied to a copy of the spec; `opts` is the whole settings text. */
type Setter<S> = (spec: S, value: string, bad: (want: string) => Error, opts: string) => void;

interface RoutineEntry<S extends AttackSpec> {
  /** Its settings by CLI key (norm is every routine's, handled by withNorm). */
  settings: Readonly<Record<string, Setter<S>>>;
  /** The count a preset's name ends in ('PGD-40', 'Square-5000'): what `steps=` sets. */
  budget?(spec: S): number;
  /** Its result holds each example's minimal norm at any ε (FAB): bisection over ε is not needed. */
  minimumNorm?: true;
  /**
   * The flat record reports have written since before the union (eval.json's `spec`), field for field
   * and in this order. Trap: committed reports hold it: changing it needs docs/ regenerated.
   */
  record(spec: S): Record<string, unknown>;
}

/** What `steps=` takes (every routine's step, query or iteration count). */
const count = (v: string, bad: (want: string) => Error, max = 10000): number => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= max)) throw bad(`an integer from 1 to ${max}`);
  return n;
};

const gradientSettings = {
  restarts: (s: GradientSettings, v: string, bad: (want: string) => Error) => void (s.restarts = count(v, bad, 1000)),
  target: (s: GradientSettings, v: string, bad: (want: string) => Error) => {
    if (!TARGET_MODES.includes(v as TargetMode)) throw bad(TARGET_MODES.join(', '));
    s.target = v as TargetMode;
    if (s.target === 'none') s.loss = 'ce';
  },
  start: (s: GradientSettings, v: string, bad: (want: string) => Error) => {
    if (v !== 'random' && v !== 'clean') throw bad("'random' or 'clean'");
    s.randomStart = v === 'random';
  },
};

/** What settings only some routines take must be: the message for a bad value, and for a routine that does not take them. */
const NOT_FOR: Readonly<Record<string, string>> = {
  step: 'a fraction of ε in (0, 10] (not for APGD or Square, which set their own)',
  momentum: 'a number in [0, 10] (not for APGD or Square)',
  eot: 'an integer from 1 to 1000 (APGD only)',
};

const gradientRecord = (s: GraphAttack, stepSize: number, momentum: number) => ({ norm: s.norm, momentum, restarts: s.restarts, target: s.target, loss: s.loss, name: s.name, routine: s.routine, steps: s.steps, stepSize, randomStart: s.randomStart });

/** Per routine: its settings, its budget, its report record. A routine without an entry does not compile. */
export const ROUTINES: { readonly [R in Routine]: RoutineEntry<AttackOf<R>> } = {
  steps: {
    settings: {
      ...gradientSettings,
      steps(s, v, bad, opts) {
        s.steps = count(v, bad);
        if (s.stepRule === 'pgd-default' && !/(^|,)\s*step\s*=/.test(opts)) s.stepSize = 2.5 / s.steps;
      },
      step(s, v, bad) {
        const n = Number(v);
        if (!(n > 0 && n <= 10)) throw bad(NOT_FOR.step);
        s.stepSize = n;
      },
      momentum(s, v, bad) {
        const n = Number(v);
        if (!(n >= 0 && n <= 10)) throw bad(NOT_FOR.momentum);
        s.momentum = n;
      },
    },
    budget: (s) => s.steps,
    record: (s) => gradientRecord(s, s.stepSize, s.momentum),
  },
  apgd: {
    settings: {
      ...gradientSettings,
      steps: (s, v, bad) => void (s.steps = count(v, bad)),
      eot: (s, v, bad) => void (s.eot = count(v, () => bad(NOT_FOR.eot), 1000)),
    },
    budget: (s) => s.steps,
    // APGD sets its own step (2ε at first); reports have always said stepSize 2.
    record: (s) => ({ ...gradientRecord(s, 2, 0), ...(s.eot !== undefined ? { eot: s.eot } : {}) }),
  },
  square: {
    settings: {
      steps(s, v, bad) {
        s.queries = count(v, bad);
        // Another query budget: the window schedule follows it (SquareAttack's default).
        s.rescale = true;
      },
      restarts: (s, v, bad) => void (s.restarts = count(v, bad, 1000)),
    },
    budget: (s) => s.queries,
    record: (s) => ({ norm: s.norm, momentum: 0, restarts: s.restarts, target: 'none', loss: 'margin', name: s.name, routine: s.routine, steps: s.queries, stepSize: 0, randomStart: true, ...(s.rescale !== undefined ? { rescale: s.rescale } : {}) }),
  },
  fab: {
    settings: {
      steps: (s, v, bad) => void (s.iterations = count(v, bad)),
      // As in AutoAttack, FAB-T's "restarts" are its target classes.
      restarts: (s, v, bad) => void (s.targets = count(v, bad, 1000)),
    },
    budget: (s) => s.iterations,
    minimumNorm: true,
    record: (s) => ({ norm: s.norm, momentum: 0, restarts: s.targets, target: 'ranked', loss: 'margin', name: s.name, routine: s.routine, steps: s.iterations, stepSize: 0, randomStart: false }),
  },
  ensemble: {
    // Only norm=: its members run with AutoAttack's settings.
    settings: {},
    record: (s) => ({ norm: s.norm, momentum: 0, restarts: 1, target: 'none', loss: 'ce', name: s.name, routine: s.routine, steps: 0, stepSize: 0, randomStart: true, members: s.members.map(reportRecord) }),
  },
};

const entryOf = <S extends AttackSpec>(spec: S) => ROUTINES[spec.routine] as unknown as RoutineEntry<S>;

/** The record a report writes for the attack (eval.json's `spec`): the flat shape reports have always had. */
export function reportRecord(spec: AttackSpec): Record<string, unknown> {
  return entryOf(spec).record(spec);
}

/**
 * The tag an attack's random keys are derived from (with ε). For now it is the display name, as it has
 * always been, so committed numbers stay; switching to canonicalSettings(spec) moves every result and
 * needs docs/ regenerated.
 */
export function attackKeyTag(spec: AttackSpec): string {
  return spec.name;
}

/** Settings whose default may be written out or left out: the attack is the same either way. */
const DEFAULTS: Readonly<Record<string, unknown>> = { eot: 1, rescale: false };

/**
 * A stable text of the routine and its settings (keys sorted, defaults left out, members in order):
 * equal for equal attacks whatever their names; stepRule and pinnedNorm are parsing facts, not settings.
 */
export function canonicalSettings(spec: AttackSpec): string {
  const { name: _name, pinnedNorm: _pinned, ...settings } = spec;
  const fields = Object.entries(settings)
    .filter(([k, v]) => k !== 'stepRule' && v !== undefined && v !== DEFAULTS[k])
    .map(([k, v]) => [k, k === 'members' ? (v as AttackSpec[]).map((m) => JSON.parse(canonicalSettings(m))) : v] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(Object.fromEntries(fields));
}

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
export function withNorm<S extends AttackSpec>(spec: S, norm: NormName): S {
  return { ...spec, norm, ...(spec.routine === 'ensemble' ? { members: spec.members.map((m) => withNorm(m, norm)) } : {}) };
}

/** The attack in a suite's ball: one that named its own norm keeps it; moved to L2, its name says so. */
export function inBall(spec: AttackSpec, norm: NormName): AttackSpec {
  return spec.pinnedNorm || norm === 'linf' ? spec : { ...withNorm(spec, norm), name: `${spec.name} (L2)` };
}

/** A minimum-norm attack: its result gives each example's smallest ‖δ‖ found, whatever the ε. */
export function isMinimumNorm(spec: AttackSpec): boolean {
  return entryOf(spec).minimumNorm === true;
}

/** Its result reports minimal norms: a minimum-norm attack, or an ensemble with one among its members. */
export function reportsMinimalNorms(spec: AttackSpec): boolean {
  return isMinimumNorm(spec) || (spec.routine === 'ensemble' && spec.members.some(reportsMinimalNorms));
}

/** The attack (or one of an ensemble's members) averages gradients over several draws of a random model (EOT). */
export function averagesDraws(spec: AttackSpec): boolean {
  return spec.routine === 'apgd' ? (spec.eot ?? 1) > 1 : spec.routine === 'ensemble' && spec.members.some(averagesDraws);
}

/** An attack from `name` or `name:key=value,...` (keys: steps, step, restarts, norm, momentum, target, start, eot; each routine takes its own). */
export function parseAttack(text: string): AttackSpec {
  const [id, opts = ''] = text.split(/:(.*)/s, 2);
  const key = id.trim().toLowerCase();
  const m = /^pgd-(\d+)$/.exec(key);
  const preset: AttackSpec | undefined = (ATTACKS as Record<string, AttackSpec>)[key] ?? (m && Number(m[1]) >= 1 ? pgd(Number(m[1])) : undefined);
  if (!preset) throw usageError(`unknown attack '${id}': expected one of ${Object.keys(ATTACKS).join(', ')}, pgd-N, optionally followed by :key=value,...`);
  let spec: AttackSpec = { ...preset };
  if (spec.routine === 'ensemble' && opts.trim() && !/^\s*norm\s*=[^,]*$/.test(opts)) throw usageError(`attack '${text}': ${spec.name} takes only norm=linf|l2 (its members run with AutoAttack's settings)`);
  const settings = entryOf(spec).settings as Readonly<Record<string, Setter<AttackSpec>>>;
  for (const part of opts.split(',').filter((p) => p.trim())) {
    const [k, v = ''] = part.split(/=(.*)/s, 2).map((s) => s.trim());
    const bad = (want: string) => usageError(`attack '${text}': ${k} must be ${want}, got '${v}'`);
    if (k === 'norm') {
      if (!NORM_NAMES.includes(v as NormName)) throw bad(NORM_NAMES.join(' or '));
      spec = { ...withNorm(spec, v as NormName), pinnedNorm: true };
    } else if (Object.hasOwn(settings, k)) settings[k](spec, v, bad, opts);
    else if (Object.hasOwn(NOT_FOR, k)) throw bad(NOT_FOR[k]);
    else throw usageError(`attack '${text}': unknown setting '${k}' for ${spec.name} (expected ${['norm', ...Object.keys(settings)].join(', ')})`);
  }
  const budget = entryOf(spec).budget?.(spec);
  const rest = opts.split(',').map((p) => p.trim()).filter((p) => p && !(p.startsWith('steps=') && /-\d+$/.test(preset.name)));
  spec.name = `${budget === undefined ? preset.name : preset.name.replace(/-\d+$/, `-${budget}`)}${rest.length ? ` (${rest.join(', ')})` : ''}`;
  return spec;
}

/**
 * The attack's final point, as a graph: its iterates go to io.visit. `onehot` holds the true labels,
 * `target` (one-hot) the target classes of a targeted attack.
 */
export function attackPoint(spec: GraphAttack, io: Omit<AttackGraphInputs, 'loss' | 'norm'>, onehot: Tensor, target?: Tensor): Tensor {
  if (spec.target !== 'none' && !target) throw new Error(`${spec.name} is targeted: it needs target classes`);
  // With EOT the loss sees each row `draws` times, stacked along the batch.
  const draws = spec.routine === 'apgd' ? (spec.eot ?? 1) : 1;
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
  if (spec.routine === 'apgd') return apgd(spec.steps, full);
  const rule: StepRule = { steps: spec.steps, stepSize: spec.stepSize, momentum: spec.momentum };
  return gradientSteps(rule, full);
}
