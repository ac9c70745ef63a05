// The gradient-step routine: FGSM, BIM, PGD and MIM are configurations of it (step count, step size,
// random start, momentum), under L∞ or L2. Unrolled into the graph; every iterate stays in the ball.
import { grad } from '../engine/grad.js';
import * as o from '../engine/ops.js';
import type { Tensor } from '../engine/tensor.js';
import type { AttackGraphInputs } from './graph.js';
import { rowL1, scale, step } from './norms.js';

export interface StepRule {
  steps: number;
  /** Step length as a fraction of ε (FGSM: 1; PGD: typically 2.5 / steps). */
  stepSize: number;
  /** MIM's decay μ of the accumulated L1-normalised gradient (Dong et al. 2018); 0: plain steps. */
  momentum: number;
}

/** The last iterate of the routine (a constant of the graph: no gradient flows back through the attack). */
export function gradientSteps(rule: StepRule, io: AttackGraphInputs): Tensor {
  const { x, eps, norm } = io;
  let xi = io.start ? o.stopGradient(norm.randomStart(x, io.startRadius ?? eps, io.start)) : x;
  let velocity: Tensor | null = null;
  const size = scale(eps, rule.stepSize);
  for (let t = 0; t < rule.steps; t++) {
    const z = io.logits(xi);
    io.visit?.(xi, z);
    const fromClean = xi === x;
    let g = fromClean && io.cleanGradient ? io.cleanGradient : grad(o.reduceSum(io.loss(z)), [xi])[0];
    if (rule.momentum > 0) {
      g = o.div(g, o.add(rowL1(g), 1e-12));
      velocity = velocity ? o.add(o.mul(velocity, rule.momentum), g) : g;
      g = velocity;
    }
    xi = o.stopGradient(step(norm, x, xi, norm.ascent(g), size, eps, fromClean && rule.stepSize <= 1));
  }
  if (io.visit) io.visit(xi, io.logits(xi));
  return xi;
}
