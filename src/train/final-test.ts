// The test a trained model gets before its run is written: clean and FGSM accuracy on a whole test split,
// at each ε asked for. `a3t train` and every sweep job (reproduce, sweep, queue workers) run this one.
import type { Split } from '../data/dataset.js';
import { compileAccuracy } from './validation.js';
import type { Parameters } from '../model/config.js';
import type { NetworkSpec } from '../model/network.js';

export interface TestAccuracy {
  clean: number;
  fgsm: number;
}

/** Clean and FGSM accuracy of `classifier` with `params` on `test`, one entry per ε in `epsilons` (threads 0: ONNX Runtime decides). */
export async function fgsmTest(classifier: NetworkSpec, params: Parameters, test: Split, epsilons: readonly number[], threads: number): Promise<TestAccuracy[]> {
  const accuracy = await compileAccuracy(classifier, { threads: threads || undefined });
  try {
    const out: TestAccuracy[] = [];
    for (const eps of epsilons) {
      const a = await accuracy.evaluate(params, test, eps);
      out.push({ clean: a.clean, fgsm: a.fgsm });
    }
    return out;
  } finally {
    await accuracy.release();
  }
}
