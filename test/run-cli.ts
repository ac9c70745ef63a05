// Running the command line from tests: a3t as a child process (through tsx, so no build is needed).
import { type ChildProcess, spawn } from 'node:child_process';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start `a3t ...args`; `done` settles when it exits. */
export function startA3t(args: readonly string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export const runA3t = (...args: string[]): Promise<CliResult> => startA3t(args).done;

/** Each case's command line run at once (they are independent); results in order. */
export const runAll = (cases: ReadonlyArray<readonly string[]>): Promise<CliResult[]> => Promise.all(cases.map((c) => startA3t(c).done));
