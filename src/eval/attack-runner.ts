// Compiling an attack: one runner per routine, in a table keyed by routine (a routine without a runner
// does not compile). The runners share only attack-program.ts; the ensemble gets compileAttack as its
// members' compiler, so no runner imports this dispatcher.
import type { AttackOf, AttackSpec, Routine } from '../attacks/spec.js';
import { type AttackCompiler, type AttackProgram, type RunnerOptions } from './attack-program.js';
import { compileEnsemble } from './ensemble-runner.js';
import { compileFab } from './fab-runner.js';
import { compileGradient } from './gradient-runner.js';
import type { Architecture } from './model.js';
import { compileSquare } from './square-runner.js';

export { type AttackProgram, type AttackResult, type MemberRun, type Radius, type RunnerOptions, radiusPerRow } from './attack-program.js';

const RUNNERS: { readonly [R in Routine]: AttackCompiler<AttackOf<R>> } = {
  steps: compileGradient,
  apgd: compileGradient,
  square: compileSquare,
  fab: compileFab,
  ensemble: (arch, spec, opts = {}) => compileEnsemble(arch, spec, opts, compileAttack),
};

export function compileAttack(arch: Architecture, spec: AttackSpec, opts: RunnerOptions = {}): Promise<AttackProgram> {
  return (RUNNERS[spec.routine] as AttackCompiler)(arch, spec, opts);
}
