// Named networks: the paper's MLP (the default) and two standard MNIST CNNs, for any image size and
// class count. `name:key=value,...` adjusts a preset's settings (e.g. 'mlp:hidden=256-128,layer=h1').
import { A3tError, usageError } from '../errors.js';
import type { LayerSpec } from './layers.js';
import { type DataShape, type NetworkSpec, resolveNetwork } from './network.js';

interface Preset {
  help: string;
  /** Settings and their defaults (all numbers or number lists, written a-b-c). */
  defaults: Record<string, number | number[]>;
  build(s: Record<string, number | number[]>, data: DataShape): { input?: number[]; layers: LayerSpec[]; layer: string };
}

const pixels = (d: DataShape) => d.image[0] * d.image[1] * d.image[2];

export const PRESETS: Readonly<Record<string, Preset>> = {
  mlp: {
    help: "the paper's MLP: 784-512-256-128-10, leaky ReLU, the discriminator after hidden layer 2 (h2)",
    defaults: { hidden: [512, 256, 128], slope: 0.01, layer: 2 },
    // Dense layers l1..lN and their activations h1..h(N−1), as the paper's encoder E = h_ℓ ∘ … ∘ h_1.
    build: ({ hidden, slope, layer }, d) => ({
      input: [pixels(d)],
      layers: [
        ...(hidden as number[]).flatMap((units, i): LayerSpec[] => [
          { type: 'dense', name: `l${i + 1}`, units },
          { type: 'leakyRelu', name: `h${i + 1}`, slope: slope as number },
        ]),
        { type: 'dense', name: `l${(hidden as number[]).length + 1}`, units: d.classes },
      ],
      layer: `h${layer}`,
    }),
  },
  'cnn-small': {
    help: "Wong et al. 2020's MNIST model: conv 16×4×4 s2 p1, conv 32×4×4 s2 p1, dense 100, ReLU; the discriminator reads the conv features",
    defaults: {},
    build: (_s, d) => ({
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 16, kernel: 4, stride: 2, padding: 1 },
        { type: 'relu', name: 'relu1' },
        { type: 'conv2d', name: 'conv2', filters: 32, kernel: 4, stride: 2, padding: 1 },
        { type: 'relu', name: 'relu2' },
        { type: 'flatten', name: 'flatten' },
        { type: 'dense', name: 'fc1', units: 100 },
        { type: 'relu', name: 'relu3' },
        { type: 'dense', name: 'fc2', units: d.classes },
      ],
      layer: 'relu2',
    }),
  },
  'cnn-madry': {
    help: "Madry et al. 2018's MNIST model: conv 32×5×5, max-pool 2, conv 64×5×5, max-pool 2, dense 1024, ReLU; the discriminator reads the conv features",
    defaults: {},
    build: (_s, d) => ({
      layers: [
        { type: 'conv2d', name: 'conv1', filters: 32, kernel: 5, padding: 2 },
        { type: 'relu', name: 'relu1' },
        { type: 'maxPool2d', name: 'pool1', kernel: 2 },
        { type: 'conv2d', name: 'conv2', filters: 64, kernel: 5, padding: 2 },
        { type: 'relu', name: 'relu2' },
        { type: 'maxPool2d', name: 'pool2', kernel: 2 },
        { type: 'flatten', name: 'flatten' },
        { type: 'dense', name: 'fc1', units: 1024 },
        { type: 'relu', name: 'relu3' },
        { type: 'dense', name: 'fc2', units: d.classes },
      ],
      layer: 'pool2',
    }),
  },
};

/**
 * A preset network from `name` or `name:key=value,...` (values of list settings written a-b-c); `layer`
 * overrides where the discriminator reads.
 */
export function presetNetwork(text: string, data: DataShape, layer?: string): NetworkSpec {
  const [id, opts = ''] = text.split(/:(.*)/s, 2);
  const preset = PRESETS[id];
  if (!preset) throw usageError(`unknown model '${id}': expected one of ${Object.keys(PRESETS).join(', ')} or a .json file`);
  const settings = { ...preset.defaults };
  for (const part of opts.split(',').filter((p) => p.trim())) {
    const [k, v = ''] = part.split('=').map((s) => s.trim());
    const dflt = preset.defaults[k];
    if (dflt === undefined) throw usageError(`model '${text}': unknown setting '${k}'${Object.keys(preset.defaults).length ? ` (${id} takes ${Object.keys(preset.defaults).join(', ')})` : ` (${id} takes none)`}`);
    const values = v.split('-').map(Number);
    if (v === '' || values.some((n) => !Number.isFinite(n)) || (!Array.isArray(dflt) && values.length !== 1)) throw usageError(`model '${text}': ${k} must be ${Array.isArray(dflt) ? 'numbers joined by -' : 'a number'}, got '${v}'`);
    settings[k] = Array.isArray(dflt) ? values : values[0];
  }
  const built = preset.build(settings, data);
  try {
    return resolveNetwork({ ...built, layer: layer ?? built.layer }, `model '${text}'`, data, text);
  } catch (e) {
    // A preset's layers are right by construction: what is wrong is a setting given on the command line.
    throw e instanceof A3tError ? usageError(e.message) : e;
  }
}
