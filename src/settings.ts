// Settings as values: each one's type, range, default and help, written once. The command line derives
// its flags, their --help lines and its parsing from them; the library API validates with the same
// checks, so a value out of range gets the same message from both.
import { A3tError } from './errors.js';

export type SettingKind = 'int' | 'number' | 'ints' | 'numbers' | 'choice' | 'text' | 'flag';

export interface Setting {
  kind: SettingKind;
  /** The command-line flag, without '--'. */
  flag: string;
  help: string;
  /** The value's placeholder in --help (e.g. N, EPS). */
  placeholder?: string;
  /** Inclusive bounds (each element for lists); an open bound excludes it. */
  min?: number;
  max?: number;
  minOpen?: boolean;
  maxOpen?: boolean;
  choices?: readonly string[];
}

/** A usage error about one setting; `setting` is its key. */
export class SettingError extends A3tError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super('usage', message);
  }
}

const bound = (v: number) => (v === Number.MAX_SAFE_INTEGER ? '2^53 − 1' : Math.abs(v) >= 1e6 && Number.isInteger(v) ? v.toExponential().replace('e+', 'e') : String(v));

/** What a setting accepts, in words: 'a number in [0, 1]', 'an integer from 1 to 1000', 'one of adam, sgd'. */
export function accepted(s: Setting): string {
  if (s.kind === 'choice') return `one of ${s.choices!.join(', ')}`;
  if (s.kind === 'text' || s.kind === 'flag') return s.kind === 'text' ? 'a text' : 'no value';
  const integer = s.kind === 'int' || s.kind === 'ints';
  const list = s.kind === 'ints' || s.kind === 'numbers' ? 'a comma-separated list of ' : '';
  const what = integer ? (list ? 'integers' : 'an integer') : list ? 'numbers' : 'a number';
  const { min, max } = s;
  let range = '';
  if (integer && min !== undefined && max !== undefined) range = ` from ${bound(min)} to ${bound(max)}`;
  else if (min !== undefined && max !== undefined) range = ` in ${s.minOpen ? '(' : '['}${bound(min)}, ${bound(max)}${s.maxOpen ? ')' : ']'}`;
  else if (min !== undefined) range = ` ${s.minOpen ? '>' : '≥'} ${bound(min)}`;
  else if (max !== undefined) range = ` ${s.maxOpen ? '<' : '≤'} ${bound(max)}`;
  return `${list}${what}${range}`;
}

/** How a message names the setting: its library key and its flag. */
export const named = (key: string, s: Setting): string => (key === s.flag ? `--${s.flag}` : `${key} (--${s.flag})`);

function inRange(s: Setting, v: unknown): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if ((s.kind === 'int' || s.kind === 'ints') && !Number.isInteger(v)) return false;
  if (s.min !== undefined && (s.minOpen ? v <= s.min : v < s.min)) return false;
  if (s.max !== undefined && (s.maxOpen ? v >= s.max : v > s.max)) return false;
  return true;
}

/** Whether `v` is a value of setting `s`. */
export function isValid(s: Setting, v: unknown): boolean {
  switch (s.kind) {
    case 'int':
    case 'number':
      return inRange(s, v);
    case 'ints':
    case 'numbers':
      return Array.isArray(v) && v.length > 0 && v.every((e) => inRange(s, e));
    case 'choice':
      return typeof v === 'string' && s.choices!.includes(v);
    case 'text':
      return typeof v === 'string';
    case 'flag':
      return typeof v === 'boolean';
  }
}

/** The value, checked: a SettingError names the setting, what it accepts and what it got. */
export function check<T>(key: string, s: Setting, v: T): T {
  if (!isValid(s, v)) throw new SettingError(key, `${named(key, s)} must be ${accepted(s)}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Parse the text of a flag's value. A number (or list) out of range gets `check`'s message, word for word
 * the library's; text that is not a value of the right type at all is quoted as given.
 */
export function parseValue(key: string, s: Setting, text: string): unknown {
  if (s.kind === 'text' || s.kind === 'choice') return check(key, s, text);
  const num = (t: string) => (t.trim() === '' ? NaN : Number(t));
  const v = s.kind === 'ints' || s.kind === 'numbers' ? text.split(',').map(num) : num(text);
  if ([v].flat().some((n) => !Number.isFinite(n))) throw new SettingError(key, `${named(key, s)} must be ${accepted(s)}, got '${text}'`);
  return check(key, s, v);
}

/** One --help line: flag, placeholder, help and what it accepts. */
export function helpLine(s: Setting, width: number): string {
  const left = `--${s.flag}${s.kind === 'flag' ? '' : ` ${s.placeholder ?? 'VALUE'}`}`;
  const range = s.kind === 'flag' || s.kind === 'text' ? '' : ` [${accepted(s)}]`;
  return `  ${left.padEnd(width)}  ${s.help}${range}`;
}

// ---- the training settings ------------------------------------------------------------------------

export interface TrainConfig {
  /** The classifier: a preset ('mlp', 'cnn-small', 'cnn-madry', optionally 'name:key=value,...') or a model description { input?, layers, layer? }. */
  model: string | Readonly<Record<string, unknown>>;
  /** The layer the discriminator reads (default: the model's own choice). */
  layer?: string;
  discriminatorHidden: number;
  discriminatorDropout: number;
  /** Weight of the clean cross-entropy (1 − α weighs the adversarial one). */
  alpha: number;
  /** Weight of the encoder's adversarial loss −log D(E(x_adv)). */
  beta: number;
  /** ε of the training examples. */
  trainEps: number;
  /** Epochs over which the training ε rises linearly from 0 (0: none). */
  epsWarmup: number;
  /** The training objective: the paper's (α, β) family, or TRADES. */
  objective: 'adversarial' | 'trades';
  /** How the family's training examples are made: FGSM (the paper) or PGD (PGD-AT, A3T with PGD). */
  trainAttack: 'fgsm' | 'pgd';
  /** Steps and step size (a fraction of ε) of the PGD training attack and of TRADES's inner maximisation. */
  attackSteps: number;
  attackStepSize: number;
  /** TRADES's weight of its KL term. */
  tradesBeta: number;
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  /** Discriminator learning rate. */
  dLr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  /** Discriminator updates per classifier update (k). */
  discriminatorSteps: number;
  seed: number;
  /** Images held out of the training split for validation. */
  validation: number;
  /** Train on the first N images of the training split (0: all). */
  trainSize: number;
  threads: number;
  /** Training steps per ONNX Runtime session run. */
  stepsPerRun: number;
}

type Described<T> = Setting & { default: T };

/** Every training setting: its flag, range, default and help. */
export const TRAIN_SETTINGS: { readonly [K in keyof TrainConfig]-?: Described<TrainConfig[K]> } = {
  model: { kind: 'text', flag: 'model', placeholder: 'NAME|FILE', default: 'mlp', help: "the classifier: mlp (the paper's), cnn-small, cnn-madry, NAME:key=value,... or a model .json file" },
  layer: { kind: 'text', flag: 'layer', placeholder: 'NAME', default: undefined, help: "the layer whose output the discriminator reads (default: the model's; mlp: h2)" },
  discriminatorHidden: { kind: 'int', flag: 'd-hidden', placeholder: 'N', min: 1, max: 65536, default: 128, help: 'discriminator hidden units' },
  discriminatorDropout: { kind: 'number', flag: 'd-dropout', placeholder: 'P', min: 0, max: 0.99, default: 0.5, help: 'discriminator dropout' },
  alpha: { kind: 'number', flag: 'alpha', placeholder: 'A', min: 0, max: 1, default: 0.5, help: 'weight of the clean cross-entropy (set by --regime)' },
  beta: { kind: 'number', flag: 'beta', placeholder: 'B', min: 0, max: 1e6, default: 1, help: "weight of the encoder's adversarial loss (set by --regime)" },
  trainEps: { kind: 'number', flag: 'train-eps', placeholder: 'EPS', min: 0, max: 1, default: 0.1, help: 'ε of the training examples' },
  epsWarmup: { kind: 'number', flag: 'eps-warmup', placeholder: 'EPOCHS', min: 0, max: 1e5, default: 0, help: 'epochs over which the training ε rises linearly from 0 (0: none)' },
  objective: { kind: 'choice', flag: 'objective', placeholder: 'NAME', choices: ['adversarial', 'trades'], default: 'adversarial', help: 'the (α, β) family or TRADES (set by --regime)' },
  trainAttack: { kind: 'choice', flag: 'train-attack', placeholder: 'NAME', choices: ['fgsm', 'pgd'], default: 'fgsm', help: 'how the training examples are made (set by --regime)' },
  attackSteps: { kind: 'int', flag: 'attack-steps', placeholder: 'N', min: 1, max: 1000, default: 10, help: "steps of the PGD training attack and of TRADES's inner maximisation" },
  attackStepSize: { kind: 'number', flag: 'attack-step-size', placeholder: 'S', min: 0, minOpen: true, max: 10, default: 0.25, help: 'their step size, a fraction of ε' },
  tradesBeta: { kind: 'number', flag: 'trades-beta', placeholder: 'B', min: 0, max: 1e6, default: 1, help: "TRADES's weight of its KL term" },
  epochs: { kind: 'int', flag: 'epochs', placeholder: 'N', min: 1, max: 100000, default: 20, help: 'epochs' },
  batchSize: { kind: 'int', flag: 'batch-size', placeholder: 'N', min: 1, max: 65536, default: 128, help: 'batch size' },
  optimizer: { kind: 'choice', flag: 'optimizer', placeholder: 'NAME', choices: ['adam', 'sgd'], default: 'adam', help: 'optimizer of every parameter group' },
  lr: { kind: 'number', flag: 'lr', placeholder: 'LR', min: 0, minOpen: true, max: 10, default: 1e-3, help: 'classifier learning rate' },
  dLr: { kind: 'number', flag: 'd-lr', placeholder: 'LR', min: 0, minOpen: true, max: 10, default: 1e-3, help: 'discriminator learning rate' },
  momentum: { kind: 'number', flag: 'momentum', placeholder: 'M', min: 0, max: 0.999, default: 0.9, help: 'SGD momentum' },
  discriminatorSteps: { kind: 'int', flag: 'k', placeholder: 'K', min: 1, max: 100, default: 1, help: 'discriminator updates per classifier update' },
  seed: { kind: 'int', flag: 'seed', placeholder: 'N', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, help: 'random seed' },
  validation: { kind: 'int', flag: 'validation', placeholder: 'N', min: 0, max: Number.MAX_SAFE_INTEGER, default: 5000, help: 'training images held out for validation' },
  trainSize: { kind: 'int', flag: 'train-size', placeholder: 'N', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, help: 'train on the first N images of the training split (0: all)' },
  threads: { kind: 'int', flag: 'threads', placeholder: 'N', min: 0, max: 1024, default: 0, help: 'ONNX Runtime threads (0: all cores)' },
  stepsPerRun: { kind: 'int', flag: 'steps-per-run', placeholder: 'N', min: 1, max: 1024, default: 16, help: 'training steps per ONNX Runtime session run' },
};

export type TrainKey = keyof TrainConfig;

/** A training setting's value, checked against its schema. */
export function checkSetting<K extends TrainKey>(key: K, v: TrainConfig[K]): TrainConfig[K] {
  const s = TRAIN_SETTINGS[key];
  if (key === 'model') {
    if (typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v))) return v;
    throw new SettingError(key, `${named(key, s)} must be a model name or a model description object, got ${JSON.stringify(v)}`);
  }
  if (key === 'layer' && v === undefined) return v;
  return check(key, s, v);
}
