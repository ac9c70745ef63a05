// Running the command line from tests: a3t as a child process (through tsx, so no build is needed).
// Every test that starts the CLI does it through this file.
import { type ChildProcess, spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartedCli {
  child: ChildProcess;
  /** Settles when it exits. */
  done: Promise<CliResult>;
  /** Its stdout and stderr so far, interleaved as they arrived. */
  output(): string;
}

/** Start `a3t ...args`, with `env` added to this process's environment. */
export function startA3t(args: readonly string[], env: NodeJS.ProcessEnv = {}): StartedCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let both = '';
  child.stdout!.on('data', (d) => ((stdout += d), (both += d)));
  child.stderr!.on('data', (d) => ((stderr += d), (both += d)));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => both };
}

export const runA3t = (...args: string[]): Promise<CliResult> => startA3t(args).done;

/** Each case's command line run at once (they are independent); results in order. */
export const runAll = (cases: ReadonlyArray<readonly string[]>): Promise<CliResult[]> => Promise.all(cases.map((c) => startA3t(c).done));

/**
 * `a3t ...args` run inside this process, one call at a time: for command lines refused while their flags
 * are read (or that only print help), which then cost no process start (about 1.5 s of CPU under tsx
 * each). Anything that trains, writes files or waits goes through startA3t. The exit code is main's.
 */
export async function runInProcess(...args: string[]): Promise<CliResult> {
  const { main } = await import('../src/cli/run.js');
  const [out, err] = [process.stdout.write, process.stderr.write];
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), signal: null, stdout, stderr };
  } finally {
    [process.stdout.write, process.stderr.write] = [out, err];
  }
}

/** Each command line through runInProcess, in turn; results in order. */
export async function runAllInProcess(cases: ReadonlyArray<readonly string[]>): Promise<CliResult[]> {
  const results: CliResult[] = [];
  for (const c of cases) results.push(await runInProcess(...c));
  return results;
}
