// Flags several commands take, written once; --threads takes its range from the training setting
// (src/settings.ts), so every command accepts the same values.
import { type Setting, TRAIN_SETTINGS } from '../settings.js';

export const DATA_FLAG: Setting = { kind: 'text', flag: 'data', placeholder: 'DIR', help: 'directory of MNIST-format IDX files (default: the bundled MNIST)' };

const { default: _default, ...THREADS } = TRAIN_SETTINGS.threads;

/** --threads as the training setting, with `help` saying what it sets and what leaving it out gives. */
export const threadsFlag = (help: string): Setting => ({ ...THREADS, help });

export const QUEUE_FLAG: Setting = { kind: 'text', flag: 'queue', placeholder: 'URL', help: 'run on the workers of a queue: redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss:// (TLS); the same command again continues the sweep' };

export const WORKERS_FLAG: Setting = { kind: 'int', flag: 'workers', placeholder: 'N', min: 1, max: 64, help: 'parallel worker processes, without --queue (default: one per core)' };
