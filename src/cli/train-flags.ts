// The flags that set a training config, shared by `a3t train` and `a3t reproduce`: one per training
// setting, straight from the settings' schema.
import { readFileSync, statSync } from 'node:fs';
import { A3tError, inputError } from '../errors.js';
import { REGIMES } from '../objectives/regimes.js';
import { type Setting, TRAIN_SETTINGS, type TrainConfig, type TrainKey } from '../settings.js';
import { parseModelFile } from '../train/config.js';
import type { Flags, Parsed } from './args.js';

/** The settings a regime fixes: flags of `a3t train` only (`a3t reproduce` runs each regime as it is). */
export const REGIME_KEYS: readonly TrainKey[] = ['alpha', 'beta', 'objective', 'trainAttack'];

export const REGIME_FLAG: Setting = { kind: 'choice', flag: 'regime', placeholder: 'NAME', choices: Object.keys(REGIMES), help: 'sets alpha, beta, the objective and the training attack (default a3t)' };

const withDefault = (s: Setting & { default: unknown }): Setting =>
  s.default === undefined || typeof s.default === 'object' ? s : { ...s, help: `${s.help} (default ${Array.isArray(s.default) ? s.default.join(',') : s.default})` };

/** One flag per training setting, but those in `except`. */
export function trainFlags(except: readonly TrainKey[] = []): Flags {
  return Object.fromEntries(Object.entries(TRAIN_SETTINGS).filter(([k]) => !except.includes(k as TrainKey)).map(([k, s]) => [k, withDefault(s)]));
}

/** The config settings given on the command line; a --model ending in .json is read as a model file. */
export function configSettings(p: Parsed): Partial<TrainConfig> {
  const s: Record<string, unknown> = {};
  for (const key of Object.keys(TRAIN_SETTINGS)) if (key in p.flags) s[key] = p.flags[key];
  if (typeof s.model === 'string' && s.model.endsWith('.json')) s.model = readModel(s.model);
  return s as Partial<TrainConfig>;
}

const MAX_MODEL_FILE = 1 << 20;

function readModel(file: string): Readonly<Record<string, unknown>> {
  let text: string;
  try {
    if (statSync(file).size > MAX_MODEL_FILE) throw inputError(`${file}: larger than ${MAX_MODEL_FILE} bytes, too large for a model description`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof A3tError) throw e;
    throw inputError(`${file}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  // Stored in the config without its path: the run is self-contained.
  const m = parseModelFile(text, file);
  return typeof m.name === 'string' ? m : { name: file.replace(/^.*[/\\]/, '').replace(/\.json$/, ''), ...m };
}
