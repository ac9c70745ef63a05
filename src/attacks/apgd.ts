// APGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness", Algorithm 1): PGD with
// momentum 0.75 whose per-example step size starts at 2ε and halves at checkpoints where the loss
// stopped rising, restarting from the best point found. Follows AutoAttack's reference code
// (autopgd_base.py, attack_single_run), unrolled into the graph: checkpoints are fixed at trace time.
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import type { AttackGraphInputs } from './graph.js';
import { column, scale } from './norms.js';

/** Iterations after which APGD checks its progress: the first after 22% of the budget, then ever closer. */
export function apgdCheckpoints(steps: number): number[] {
  const first = Math.max(Math.floor(0.22 * steps), 1);
  const shrink = Math.max(Math.floor(0.03 * steps), 1);
  const least = Math.max(Math.floor(0.06 * steps), 1);
  const at: number[] = [];
  for (let k = first, i = k; i <= steps; k = Math.max(k - shrink, least), i += k) at.push(i);
  return at;
}

const asFloat = (b: Tensor): Tensor => o.cast(b, 'float32');

/** The point of highest loss APGD found (its iterates, all inside the ball, go to `visit`). */
export function apgd(steps: number, io: AttackGraphInputs): Tensor {
  const { x, eps, norm } = io;
  const checkpoints = new Set(apgdCheckpoints(steps));
  const draws = io.eot ?? 1;
  const batch = x.shape[0] as number;
  const lastDraw = (t: Tensor) => (draws > 1 ? o.slice(t, 0, (draws - 1) * batch, draws * batch) : t);
  const lossAndGrad = (p: Tensor) => {
    const zAll = io.logits(draws > 1 ? o.concat(Array.from({ length: draws }, () => p), 0) : p);
    const lAll = io.loss(zAll);
    const z = lastDraw(zAll);
    io.visit?.(p, z);
    return { l: lastDraw(lAll), g: grad(o.reduceSum(lAll), [p])[0] };
  };
  let xAdv = io.start ? o.stopGradient(norm.randomStart(x, eps, io.start)) : x;
  let { l: loss, g } = lossAndGrad(xAdv);
  let [xBest, gBest, lossBest] = [xAdv, g, loss];
  let step: o.Operand = scale(eps, 2);
  let xOld = xAdv;
  let previous = loss;
  let increases: Tensor = o.constant(0);
  let window = 0;
  let reducedLast: Tensor = o.constant(1);
  let bestAtLast = lossBest;
  for (let i = 1; i <= steps; i++) {
    const momentum = o.sub(xAdv, xOld);
    xOld = xAdv;
    const a = i > 1 ? 0.75 : 1;
    const z1 = norm.project(x, o.add(xAdv, o.mul(norm.ascent(g), step)), eps);
    xAdv = o.stopGradient(norm.project(x, o.add(o.add(xAdv, o.mul(o.sub(z1, xAdv), a)), o.mul(momentum, 1 - a)), eps));
    ({ l: loss, g } = lossAndGrad(xAdv));
    increases = o.add(increases, asFloat(o.greater(loss, previous)));
    previous = loss;
    window++;
    const better = o.greater(loss, lossBest);
    const betterRow = column(better);
    xBest = o.where(betterRow, xAdv, xBest);
    gBest = o.where(betterRow, g, gBest);
    lossBest = o.where(better, loss, lossBest);
    if (checkpoints.has(i) && i < steps) {
      // Condition 1: the loss rose in at most 75% of the window's steps. Condition 2: the step was not
      // reduced at the last checkpoint and the best loss has not improved since.
      const oscillating = asFloat(o.lessOrEqual(increases, window * 0.75));
      const stalled = o.mul(o.sub(1, reducedLast), asFloat(o.greaterOrEqual(bestAtLast, lossBest)));
      const reduce = o.greater(o.maximum(oscillating, stalled), 0);
      reducedLast = asFloat(reduce);
      bestAtLast = lossBest;
      const reduceRow = column(reduce);
      step = o.where(reduceRow, o.mul(step, 0.5), step);
      xAdv = o.where(reduceRow, xBest, xAdv);
      g = o.where(reduceRow, gBest, g);
      increases = o.constant(0);
      window = 0;
    }
  }
  return o.stopGradient(xBest);
}
