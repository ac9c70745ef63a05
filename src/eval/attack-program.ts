// What every attack runner shares and nothing else: the compiled attack's interface and results, the
// runners' options, the radius per row, the feature check, the program cache and the rows still standing.
// A leaf: it imports no runner, so the runners and their dispatcher (attack-runner.ts) form a tree.
import { NORMS } from '../attacks/norms.js';
import type { AttackSpec } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import type { Key } from '../engine/rng.js';
import type { Program } from '../engine/runtime.js';
import { usageError } from '../errors.js';
import type { Architecture, Model } from './model.js';

export interface AttackResult {
  /** 1 where the clean point and every point the attack reached were classified correctly. */
  robust: Uint8Array;
  /** Per example: the first misclassified point found, else the last point of the last restart. */
  adversarial: Float32Array;
  /** Mean of `robust`. */
  accuracy: number;
  /** Minimum-norm attacks (FAB): per example the smallest ‖δ‖ at which it found a misclassified point, any ε (0: misclassified clean; ∞: none found). */
  minNorm?: Float32Array;
  /** Ensembles: each member that ran, in order, on how many examples, in how many seconds, and how many it left standing. */
  members?: MemberRun[];
}

export interface MemberRun {
  name: string;
  /** Examples it ran on (those every member before it left standing). */
  examples: number;
  seconds: number;
  /** Examples robust after it: all of the ensemble's rows, not only those it ran on. */
  standing: number;
}

/** The ball's radius: one for every row, or one per row. */
export type Radius = number | Float32Array;

export interface AttackProgram {
  readonly spec: AttackSpec;
  /**
   * The attack on every row of `data` at ε. Row i's random numbers come from `key` and `ids[i]` (default i),
   * so a row gives the same result in any split that gives it the same id (an ensemble runs its later
   * attacks on the rows still standing, under their original ids). ε is one radius for every row, or one
   * per row (the minimum-norm search's bisection).
   */
  run(model: Model, data: Split, eps: Radius, key: Key, ids?: ArrayLike<number>): Promise<AttackResult>;
  release(): Promise<void>;
}

export interface RunnerOptions {
  threads?: number;
  /** Examples per session run (default DEFAULT_ROWS). */
  rows?: number;
}

/** Examples per session run unless a caller says otherwise. */
export const DEFAULT_ROWS = 500;

/** A routine's compiler: the attack against an architecture. */
export type AttackCompiler<S extends AttackSpec = AttackSpec> = (arch: Architecture, spec: S, opts?: RunnerOptions) => Promise<AttackProgram>;

/** ε per row of an n-row run, each checked against the ball's bounds. */
export function radiusPerRow(spec: AttackSpec, eps: Radius, n: number, features: number): Float32Array {
  const per = typeof eps === 'number' ? new Float32Array(n).fill(eps) : eps;
  if (per.length !== n) throw new RangeError(`${spec.name}: ${per.length} radii for ${n} examples`);
  const largest = NORMS[spec.norm].largest(features);
  for (const e of per) if (!(e >= 0 && e <= largest + 1e-6)) throw usageError(`${spec.name}: ε must be in [0, ${+largest.toFixed(1)}] for ${spec.norm}, got ${e}`);
  return per;
}

/** The data's rows must be the model's inputs. */
export function checkFeatures(spec: AttackSpec, arch: Architecture, data: Split): void {
  if (data.features !== arch.inputs) throw usageError(`${spec.name}: the model takes ${arch.inputs} features, the data has ${data.features}`);
}

/** The indices of the examples still standing (robust so far). */
export function standingRows(standing: Uint8Array): number[] {
  const rows: number[] = [];
  for (let i = 0; i < standing.length; i++) if (standing[i]) rows.push(i);
  return rows;
}

/** Compiled programs by a key (batch size, block shape), each compiled on first use; release() frees them all. */
export function programCache<K>(): { get(key: K, build: () => Promise<Program>): Promise<Program>; release(): Promise<void> } {
  const programs = new Map<K, Promise<Program>>();
  return {
    get(key, build) {
      let p = programs.get(key);
      if (!p) programs.set(key, (p = build()));
      return p;
    },
    async release() {
      for (const p of programs.values()) await (await p).release();
    },
  };
}
