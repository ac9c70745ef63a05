// A sweep spec (the JSON file of `a3t sweep`): base training settings, a grid over any of them (and
// over regimes), seeds, and the evaluation of every model. Expanded to one job per grid point × seed.
//   { "settings": { "epochs": 3 }, "grid": { "alpha": [0.5, 1], "regime": ["at", "a3t"] },
//     "seeds": 2, "eval": { "testEps": 0.1, "attackImages": 200 } }
import { A3tError, inputError } from '../errors.js';
import { REGIMES, regimeSettings } from '../objectives/regimes.js';
import type { TrainConfig } from '../train/config.js';
import { type EvalSpec, type SweepJob, makeJob } from './job.js';

export interface SweepSpec {
  settings: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  seeds: number[];
  eval: EvalSpec;
}

const SPEC_KEYS = ['settings', 'grid', 'seeds', 'eval'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The spec in `text` (`file` names it in errors), checked for its shape; settings are checked per job. */
export function parseSweepSpec(text: string, file: string): SweepSpec {
  const fail = (why: string): never => {
    throw inputError(`${file}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(raw)) return fail(`a sweep spec is an object { ${SPEC_KEYS.join(', ')} }`);
  const extra = Object.keys(raw).find((k) => !SPEC_KEYS.includes(k));
  if (extra !== undefined) fail(`unknown field '${extra}' (a spec holds ${SPEC_KEYS.join(', ')})`);
  const settings = raw.settings ?? {};
  if (!isObject(settings)) fail('settings must be an object of training settings, e.g. { "epochs": 3 }');
  const grid = raw.grid ?? {};
  if (!isObject(grid)) return fail('grid must be an object of setting → list of values, e.g. { "alpha": [0.5, 1] }');
  for (const [k, v] of Object.entries(grid)) if (!Array.isArray(v) || v.length === 0) fail(`grid.${k} must be a non-empty list of values, got ${JSON.stringify(v)}`);
  const s = raw.seeds ?? 1;
  const seeds = typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= 1000 ? Array.from({ length: s }, (_, i) => i) : s;
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((x) => Number.isInteger(x) && x >= 0) || new Set(seeds).size !== seeds.length)
    fail(`seeds must be a count from 1 to 1000 or a list of distinct non-negative integers, got ${JSON.stringify(s)}`);
  const ev = raw.eval ?? {};
  if (!isObject(ev)) return fail('eval must be an object { testEps, attackImages }');
  const extraEval = Object.keys(ev).find((k) => k !== 'testEps' && k !== 'attackImages');
  if (extraEval !== undefined) fail(`unknown field 'eval.${extraEval}' (eval holds testEps, attackImages)`);
  return { settings: settings as Record<string, unknown>, grid: grid as Record<string, unknown[]>, seeds: seeds as number[], eval: { testEps: (ev.testEps as number) ?? 0.1, attackImages: (ev.attackImages as number) ?? 0 } };
}

/** Every combination of the grid's values, in the order the grid lists them (the last key varies fastest). */
function points(grid: Record<string, unknown[]>): Array<Record<string, unknown>> {
  return Object.entries(grid).reduce<Array<Record<string, unknown>>>((acc, [k, vs]) => acc.flatMap((p) => vs.map((v) => ({ ...p, [k]: v }))), [{}]);
}

/** A grid point's name, e.g. 'alpha=0.5,regime=a3t' ('run' for an empty grid); characters a directory name should not hold become '_'. */
const groupOf = (p: Record<string, unknown>): string =>
  Object.keys(p).length === 0 ? 'run' : Object.entries(p).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : typeof v === 'object' ? 'model' : String(v)}`).join(',').replace(/[^A-Za-z0-9=.,_+-]/g, '_').slice(0, 120);

/** The settings of one run: a `regime` key expands to the regime's alpha, beta, objective and attack. */
function runSettings(p: Record<string, unknown>): Partial<TrainConfig> {
  const { regime, ...rest } = p;
  if (regime === undefined) return rest as Partial<TrainConfig>;
  if (typeof regime !== 'string' || !REGIMES[regime]) throw inputError(`regime must be one of ${Object.keys(REGIMES).join(', ')}, got ${JSON.stringify(regime)}`);
  return { ...regimeSettings(REGIMES[regime]), ...rest } as Partial<TrainConfig>;
}

/** One job per grid point × seed, each config checked as the command line checks flags. */
export function sweepJobs(spec: SweepSpec, version: string, file: string, dataPrint: string): SweepJob[] {
  return points(spec.grid).flatMap((point) =>
    spec.seeds.map((seed) => {
      try {
        return makeJob(version, groupOf(point), { ...runSettings({ ...spec.settings, ...point }), seed }, spec.eval, dataPrint);
      } catch (e) {
        if (!(e instanceof A3tError)) throw e;
        throw inputError(`${file}: grid point ${groupOf(point)}, seed ${seed}: ${e.message.replace(/^job refused: /, '')}`);
      }
    }),
  );
}
