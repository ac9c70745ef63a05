// Robust accuracy of a model under a suite of attacks over a grid of ε, and the per-example worst case
// over the suite: an example counts as robust at ε only if every attack fails on it.
import { type AttackSpec, attackKeyTag } from '../attacks/spec.js';
import { type Key, fold } from '../engine/rng.js';
import type { AttackProgram, AttackResult, MemberRun } from './attack-program.js';
import { compileAttack } from './attack-runner.js';
import type { Split } from '../data/dataset.js';
import { subset } from '../data/selection.js';
import { usageError } from '../errors.js';
import type { Architecture, Model } from './model.js';
import { compileLogits, correctness, mean } from './predict.js';

export interface AttackCurve {
  name: string;
  spec: AttackSpec;
  /** Robust accuracy at each ε of the grid. */
  accuracy: number[];
  seconds: number;
  /** Per ε of the grid: each example's outcome ('1' robust, '0' not, in order), the run's seconds, and an ensemble's members. */
  runs?: AttackRun[];
}

export interface AttackRun {
  robust: string;
  seconds: number;
  members?: MemberRun[];
}

export interface RobustnessReport {
  examples: number;
  clean: number;
  norm: AttackSpec['norm'];
  epsilons: number[];
  attacks: AttackCurve[];
  /** Fraction of examples no attack of the suite broke, at each ε. */
  worstCase: number[];
}

/** Compiled attacks and their results, shared by the suite and the masking checks. */
export class AttackBench {
  private readonly programs = new Map<string, Promise<AttackProgram>>();
  private readonly results = new Map<string, Promise<AttackResult>>();
  /** Results are kept per model object: two models of one architecture never share them. */
  private readonly modelIds = new WeakMap<Model, number>();
  private models = 0;
  constructor(
    readonly data: Split,
    readonly key: Key,
    readonly threads?: number,
  ) {}

  private readonly cleanFlags = new Map<number, Promise<Uint8Array>>();

  private idOf(model: Model): number {
    if (!this.modelIds.has(model)) this.modelIds.set(model, this.models++);
    return this.modelIds.get(model)!;
  }

  /** Per example, 1 where `model` classifies the clean input correctly (computed once per model). */
  clean(model: Model): Promise<Uint8Array> {
    const id = this.idOf(model);
    let c = this.cleanFlags.get(id);
    if (!c) this.cleanFlags.set(id, (c = cleanCorrect(model.arch, model, this.data, this.threads)));
    return c;
  }

  /** The attack's result on `model` at ε (computed once per model, attack and ε). */
  result(model: Model, spec: AttackSpec, eps: number): Promise<AttackResult> {
    const id = `${this.idOf(model)}|${JSON.stringify(spec)}|${eps}`;
    let r = this.results.get(id);
    if (!r) {
      const pid = `${model.arch.id}|${JSON.stringify(spec)}`;
      let p = this.programs.get(pid);
      if (!p) this.programs.set(pid, (p = compileAttack(model.arch, spec, { threads: this.threads })));
      // Every attack at every ε draws its random starts from its own key.
      this.results.set(id, (r = p.then((prog) => prog.run(model, this.data, eps, fold(this.key, hash(`${attackKeyTag(spec)}|${eps}`))))));
    }
    return r;
  }

  /** The attack on some rows (under their ids), each at its own radius; not cached. `tag` picks the key. */
  async resultOn(model: Model, spec: AttackSpec, rows: readonly number[], radius: Float32Array, tag: string): Promise<AttackResult> {
    const pid = `${model.arch.id}|${JSON.stringify(spec)}`;
    let p = this.programs.get(pid);
    if (!p) this.programs.set(pid, (p = compileAttack(model.arch, spec, { threads: this.threads })));
    return (await p).run(model, subset(this.data, rows), radius, fold(this.key, hash(`${attackKeyTag(spec)}|${tag}`)), rows);
  }

  async release(): Promise<void> {
    for (const p of this.programs.values()) await (await p).release();
  }
}

/** A 31-bit FNV-1a hash: a stable key index from a name. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 1;
}

/** Per example, 1 where the model classifies the clean input correctly. */
export async function cleanCorrect(arch: Architecture, model: Model, data: Split, threads?: number): Promise<Uint8Array> {
  const p = await compileLogits(arch, { threads });
  const z = await p.run(model, data, data.count);
  await p.release();
  return correctness(z, data.labels, arch.classes);
}

export interface SuiteOptions {
  attacks: readonly AttackSpec[];
  epsilons: readonly number[];
  /** Called before each attack at each ε: how many of the `total` (attack, ε) pairs are done. */
  onProgress?(done: number, total: number, what: string): void;
}

export async function robustness(model: Model, bench: AttackBench, opts: SuiteOptions): Promise<RobustnessReport> {
  const norms = new Set(opts.attacks.map((a) => a.norm));
  if (norms.size !== 1) throw usageError(`a suite's attacks must share one norm (its ε grid means one ball), got ${[...norms].join(' and ')}`);
  const data = bench.data;
  const clean = await bench.clean(model);
  const worst = opts.epsilons.map(() => Uint8Array.from(clean));
  const attacks: AttackCurve[] = [];
  const total = opts.attacks.length * opts.epsilons.length;
  for (const spec of opts.attacks) {
    const t0 = performance.now();
    const accuracy: number[] = [];
    const runs: AttackRun[] = [];
    for (const [e, eps] of opts.epsilons.entries()) {
      opts.onProgress?.(attacks.length * opts.epsilons.length + e, total, `${spec.name} at ε = ${eps}`);
      const started = performance.now();
      const r = eps === 0 ? undefined : await bench.result(model, spec, eps);
      const robust = r?.robust ?? clean;
      accuracy.push(mean(robust));
      runs.push({ robust: Array.from(robust, (v) => (v ? '1' : '0')).join(''), seconds: (performance.now() - started) / 1000, ...(r?.members ? { members: r.members } : {}) });
      for (let i = 0; i < data.count; i++) worst[e][i] &= robust[i];
    }
    attacks.push({ name: spec.name, spec, accuracy, seconds: (performance.now() - t0) / 1000, runs });
  }
  return { examples: data.count, clean: mean(clean), norm: [...norms][0], epsilons: [...opts.epsilons], attacks, worstCase: worst.map(mean) };
}
