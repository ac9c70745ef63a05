// An ensemble of attacks as AutoAttack runs its standard one: each attack only on the examples every
// attack before it left standing, under their original ids (so each example meets the same random
// numbers as when that attack runs alone), and an example is robust only if it withstood them all.
// Its members are compiled by the compiler it is given (the dispatcher's), so it imports no other runner.
import type { EnsembleAttack } from '../attacks/spec.js';
import type { Split } from '../data/dataset.js';
import { subset } from '../data/selection.js';
import { usageError } from '../errors.js';
import { type AttackCompiler, type AttackProgram, type MemberRun, type RunnerOptions, radiusPerRow, standingRows } from './attack-program.js';
import type { Architecture } from './model.js';
import { mean } from './predict.js';

export async function compileEnsemble(arch: Architecture, spec: EnsembleAttack, opts: RunnerOptions, compileMember: AttackCompiler): Promise<AttackProgram> {
  if (!spec.members.length) throw usageError(`${spec.name}: an ensemble needs at least one attack`);
  const programs: AttackProgram[] = [];
  for (const m of spec.members) programs.push(await compileMember(arch, m, opts));
  return {
    spec,
    async run(model, data: Split, eps, key, ids) {
      const n = data.count;
      const f = data.features;
      const standing = new Uint8Array(n).fill(1);
      let adversarial: Float32Array | null = null;
      // Members that report minimal norms (FAB) report them for the rows they ran on.
      let minNorm: Float32Array | undefined;
      const radius = radiusPerRow(spec, eps, n, f);
      const runs: MemberRun[] = [];
      // At ε = 0 no attack moves a point: the first member's answer (the clean one) is final.
      for (const p of radius.every((e) => e === 0) ? programs.slice(0, 1) : programs) {
        const rows = standingRows(standing);
        if (!rows.length) break;
        const all = rows.length === n;
        const t0 = performance.now();
        const r = await p.run(model, all ? data : subset(data, rows), all ? radius : Float32Array.from(rows, (i) => radius[i]), key, rows.map((i) => (ids ? ids[i] : i)));
        const run = { name: p.spec.name, examples: rows.length, seconds: (performance.now() - t0) / 1000, standing: 0 };
        runs.push(run);
        if (r.minNorm) {
          minNorm ??= new Float32Array(n).fill(Infinity);
          rows.forEach((i, j) => (minNorm![i] = Math.min(minNorm![i], r.minNorm![j])));
        }
        if (!adversarial) {
          adversarial = r.adversarial;
          r.robust.forEach((v, i) => (standing[i] = v));
        } else
          rows.forEach((i, j) => {
            if (r.robust[j]) return;
            standing[i] = 0;
            adversarial!.set(r.adversarial.subarray(j * f, (j + 1) * f), i * f);
          });
        run.standing = standing.reduce((a, v) => a + v, 0);
      }
      return { robust: standing, adversarial: adversarial!, accuracy: mean(standing), ...(minNorm ? { minNorm } : {}), members: runs };
    },
    async release() {
      for (const p of programs) await p.release();
    },
  };
}
