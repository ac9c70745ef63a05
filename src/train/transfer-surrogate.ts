// The transfer check's surrogate: a separately trained model whose adversarial examples are tried on the
// model under test. One policy for every command: plain training (no adversarial examples) of the same
// network, with a seed the model under test did not use.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Model, networkModel } from '../eval/model.js';
import { RUN_FILES } from '../io/rundir.js';
import { REGIMES, regimeSettings } from '../objectives/regimes.js';
import type { TrainConfig } from '../settings.js';
import type { Dataset } from '../data/dataset.js';
import { train } from './loop.js';
import { loadModel, saveModel } from './saved.js';

/** The surrogate's training settings: `like` (the network and what else it shares with the subject), trained plain with `seed`. */
export const surrogateSettings = (like: Partial<TrainConfig>, seed: number, threads: number): Partial<TrainConfig> => ({ ...like, ...regimeSettings(REGIMES.plain), seed, threads });

/**
 * A model evaluated on its own (a3t eval): its network (an MLP for an imported ONNX model, seed 0), 2 epochs on
 * 20,000 images, with the seed after its own. Its training settings are not repeated: the check needs a
 * similar model, not a twin.
 */
export const QUICK_SURROGATE = { epochs: 2, trainSize: 20000, validation: 1000 } as const;

export interface QuickSurrogate {
  settings: Partial<TrainConfig>;
  seed: number;
}

/** The quick surrogate of a model trained by a3t with `of` (null: an imported model). */
export function quickSurrogate(of: { model: TrainConfig['model']; seed: number } | null, threads: number): QuickSurrogate {
  const model = of?.model ?? 'mlp';
  const seed = (of?.seed ?? 0) + 1;
  return { settings: surrogateSettings({ model, ...QUICK_SURROGATE }, seed, threads), seed };
}

/** Train the quick surrogate; `what` describes it for reports. */
export async function trainQuickSurrogate(s: QuickSurrogate, data: Dataset, by: string): Promise<{ model: Model; what: string }> {
  const r = await train(s.settings, data);
  return { model: networkModel(r.model.classifier, r.params), what: `plain training of ${r.model.classifier.name}, 2 epochs on 20,000 images, seed ${s.seed}, trained by ${by}` };
}

/** The seed of a sweep's surrogate (a3t reproduce): one no run of the sweep uses. */
export const SWEEP_SURROGATE_SEED = 1000;

/**
 * A sweep's surrogate: trained with the runs' settings into `dir` as a checkpoint, and its bytes (which travel
 * to the workers); kept from an earlier start of the same sweep when `continued`.
 */
export async function sweepSurrogate(base: TrainConfig, data: Dataset, dir: string, continued: boolean, note: (s: string) => void): Promise<Uint8Array> {
  const file = join(dir, RUN_FILES.checkpoint);
  if (continued && existsSync(file)) {
    loadModel(dir);
    note(`the transfer surrogate from the earlier start: ${dir}`);
    return readFileSync(file);
  }
  note(`training the transfer surrogate (plain, seed ${SWEEP_SURROGATE_SEED}) into ${dir}`);
  const r = await train(surrogateSettings(base, SWEEP_SURROGATE_SEED, 0), data);
  mkdirSync(dir, { recursive: true });
  saveModel(dir, r.config, r.model, r.params);
  return readFileSync(file);
}
