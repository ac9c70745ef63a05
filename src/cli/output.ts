// What a command prints: progress and notes on stderr (none with --quiet), and its result on stdout,
// as text or, with --json, as one JSON document.
import type { Setting } from '../settings.js';
import { type ProgressLine, progressLine } from './progress.js';

export const OUTPUT_FLAGS: Readonly<Record<string, Setting>> = {
  json: { kind: 'flag', flag: 'json', help: 'print the result as one JSON document on stdout (progress stays on stderr)' },
  quiet: { kind: 'flag', flag: 'quiet', help: 'print no progress' },
};

export interface Output {
  progress(label: string): ProgressLine;
  /** A note for the user (stderr). */
  note(line: string): void;
  /** The result: `text` normally, `json` with --json. */
  result(text: string, json: unknown): void;
}

const silent: ProgressLine = { update() {}, log() {}, done() {} };

export function output(flags: Record<string, unknown>): Output {
  const quiet = !!flags.quiet;
  return {
    progress: (label) => (quiet ? silent : progressLine(label)),
    note: (line) => quiet || process.stderr.write(`${line}\n`),
    result: (text, json) => process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text),
  };
}
