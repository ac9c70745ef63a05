// a3t's command line: the only place that wires data, training, evaluation and reports together.
// A3tErrors print as one line (exit 2 for usage, 1 for input); anything else is a bug: its stack, exit 70.
import { A3tError } from '../errors.js';
import { evalCommand } from './commands/eval.js';
import { reproduceCommand } from './commands/reproduce.js';
import { serveCommand } from './commands/serve.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';
import { workerCommand } from './commands/worker.js';
import { localWorker } from '../sweep/local-pool.js';
import { a3tVersion as version } from './version.js';

type Command = (argv: string[]) => Promise<void>;

/** The commands, in --help's order, with their one-line summaries. */
const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  reproduce: { run: reproduceCommand, summary: "the paper's Table 1 and Figure 2: four regimes × seeds, report in --out (try --quick)" },
  train: { run: trainCommand, summary: 'train one model (any regime, any network) into a run directory' },
  eval: { run: evalCommand, summary: 'how robust a model is: an a3t run directory, a checkpoint or any ONNX classifier' },
  sweep: { run: sweepCommand, summary: 'a grid of training settings × seeds from a JSON spec, here or on a queue\'s workers' },
  worker: { run: workerCommand, summary: 'take sweep and reproduce jobs from a queue (Redis): start one on every machine' },
  serve: { run: serveCommand, summary: 'the browser page: an attack lab and training in a tab (build it first: npm run build:web)' },
};

/** Commands not in --help: a local sweep's worker process. */
const HIDDEN: Readonly<Record<string, Command>> = { __worker: localWorker };

const RUNNERS: Readonly<Record<string, Command>> = { ...Object.fromEntries(Object.entries(COMMANDS).map(([name, c]) => [name, c.run])), ...HIDDEN };

const USAGE = `usage: a3t <command> [flags]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}  ${c.summary}`).join('\n')}

a3t <command> --help shows a command's flags; a3t --version its version.
`;

/** 'a, b or c'. */
const orList = (names: readonly string[]) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join(''));

/** Run `a3t ...argv` (the words after the program); returns the exit code. */
export async function main(argv: readonly string[], commands: Readonly<Record<string, Command>> = RUNNERS): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`a3t ${version()}\n`);
    return 0;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`a3t: unknown command '${command}' (expected ${orList(Object.keys(commands).filter((c) => !(c in HIDDEN)))}; see a3t --help)\n`);
    return 2;
  }
  try {
    await run(rest);
    return 0;
  } catch (e) {
    if (e instanceof A3tError) {
      process.stderr.write(`a3t ${command}: ${e.message}\n`);
      return e.kind === 'usage' ? 2 : 1;
    }
    // A failed file operation (no space, no permission): its message names the call and the path.
    const system = e as NodeJS.ErrnoException;
    if (e instanceof Error && typeof system.code === 'string' && typeof system.path === 'string' && system.syscall) {
      process.stderr.write(`a3t ${command}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`a3t ${command}: internal error — this is a bug in a3t ${version()}; please report it with the command line and this trace:\n${(e as Error)?.stack ?? String(e)}\n`);
    return 70;
  }
}
