#!/usr/bin/env node
// a3t's command line: the only place that wires data, training, evaluation and reports together.
import { DataError } from '../data/idx.js';
import { CheckpointError } from '../io/checkpoint.js';
import { RunDirError } from '../io/rundir.js';
import { DivergenceError } from '../train/guard.js';
import { UsageError } from './args.js';
import { evalCommand } from './commands/eval.js';
import { reproduceCommand, reproduceWorker } from './commands/reproduce.js';
import { trainCommand } from './commands/train.js';
import { asUsageError } from './train-flags.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  train: trainCommand,
  eval: evalCommand,
  reproduce: reproduceCommand,
  __worker: reproduceWorker,
};

const USAGE = `usage: a3t <command> [flags]

commands:
  reproduce   the paper's Table 1 and Figure 2: four regimes × seeds, report in --out (try --quick)
  train       train one model (plain, at, a2t, a3t or any α, β) into a run directory
  eval        accuracy of a trained model on the test set, clean and under FGSM at several ε

a3t <command> --help shows a command's flags.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`a3t: unknown command '${command}' (expected train, eval or reproduce)\n`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (caught) {
    const e = asUsageError(caught);
    if (e instanceof UsageError) {
      process.stderr.write(`a3t ${command}: ${e.message}\n`);
      return 2;
    }
    const known = [DataError, CheckpointError, RunDirError, DivergenceError, RangeError].some((c) => e instanceof c);
    // A failed file operation (no space, no permission): its message names the call and the path.
    const system = e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).path === 'string';
    if (known || system) {
      process.stderr.write(`a3t ${command}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
