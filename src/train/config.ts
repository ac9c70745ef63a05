// The training configuration: the settings' defaults, one validation of a whole config (at the API
// or CLI edge), and what the config means for given data: the model and the data-dependent checks.
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { paperDiscriminator } from '../model/discriminator.js';
import { type DataShape, type NetworkSpec, network, resolveNetwork } from '../model/network.js';
import { presetNetwork } from '../model/presets.js';
import { SettingError, TRAIN_SETTINGS, type TrainConfig, type TrainKey, checkSetting, named } from '../settings.js';

export type { TrainConfig } from '../settings.js';

export const DEFAULT_CONFIG: TrainConfig = Object.fromEntries(Object.entries(TRAIN_SETTINGS).map(([k, s]) => [k, s.default])) as unknown as TrainConfig;

/** A complete, checked config from partial settings over the defaults. */
export function makeConfig(settings: Partial<TrainConfig> = {}): TrainConfig {
  for (const key of Object.keys(settings)) if (!(key in TRAIN_SETTINGS)) throw new SettingError(key, `unknown setting '${key}'; settings: ${Object.keys(TRAIN_SETTINGS).join(', ')}`);
  const config = { ...DEFAULT_CONFIG, ...settings };
  if (config.layer === undefined) delete config.layer;
  for (const key of Object.keys(TRAIN_SETTINGS) as TrainKey[]) checkSetting(key, config[key] as never);
  return config;
}

/** The image shape and class count of a dataset. */
export const dataShape = (data: Pick<Dataset, 'shape' | 'classes'>): DataShape => ({ image: [1, data.shape[0], data.shape[1]], classes: data.classes });

/** The classifier a config describes for data of this shape (errors name the model and the layer). */
export function classifierOf(config: TrainConfig, data: DataShape): NetworkSpec {
  const layer = config.layer === undefined ? {} : { layer: config.layer };
  if (typeof config.model === 'string') return presetNetwork(config.model, data, config.layer);
  const name = typeof config.model.name === 'string' ? config.model.name : 'model';
  return resolveNetwork({ ...config.model, ...layer }, `model '${name}'`, data, name);
}

/** The model a config describes, for data of this shape. */
export function modelOf(config: TrainConfig, data: DataShape): ModelConfig {
  const classifier = classifierOf(config, data);
  const features = network(classifier).featureSize;
  return { classifier, discriminator: { ...paperDiscriminator(features), hidden: config.discriminatorHidden, dropout: config.discriminatorDropout } };
}

/** Checks of the settings that depend on the data: `images` in the training set. */
export function checkSizes(config: TrainConfig, images: number): void {
  const fail = (key: TrainKey, why: string): never => {
    throw new SettingError(key, `${named(key, TRAIN_SETTINGS[key])} must be ${why}, got ${config[key]}`);
  };
  if (config.validation >= images) fail('validation', `smaller than the ${images} training images`);
  const rest = images - config.validation;
  if (config.trainSize > rest) fail('trainSize', `at most ${rest} (the training images not held out)`);
  const used = config.trainSize || rest;
  if (config.batchSize > used) fail('batchSize', `at most the ${used} training images`);
}

/** The config's model description read from a JSON file's text (`file` names it in errors). */
export function parseModelFile(text: string, file: string): Readonly<Record<string, unknown>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw inputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw inputError(`${file}: a model file holds an object { "input"?, "layers": [...], "layer"? }`);
  return raw as Record<string, unknown>;
}
