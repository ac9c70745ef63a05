// Command-line flags: a typed spec per command; anything unknown or out of range is a UsageError
// (exit code 2) whose one line names the flag and what it accepts.

export class UsageError extends Error {
  override name = 'UsageError';
}

type Kind = 'int' | 'number' | 'string' | 'bool' | 'numbers' | 'ints';

export interface FlagSpec {
  kind: Kind;
  help: string;
  /** Inclusive bounds for numbers (each element for lists). */
  min?: number;
  max?: number;
  /** Lower bound is exclusive. */
  minOpen?: boolean;
  choices?: readonly string[];
}

export type Specs = Readonly<Record<string, FlagSpec>>;
export type Parsed = { flags: Record<string, number | string | boolean | number[]>; positional: string[] };

function range(s: FlagSpec): string {
  if (s.choices) return `one of ${s.choices.join(', ')}`;
  const lo = s.min === undefined ? '' : `${s.minOpen ? '>' : '≥'} ${s.min}`;
  const hi = s.max === undefined ? '' : `≤ ${s.max}`;
  const what = s.kind === 'int' || s.kind === 'ints' ? 'an integer' : 'a number';
  const list = s.kind === 'numbers' || s.kind === 'ints' ? 'a comma-separated list, each ' : '';
  return `${list}${what}${lo || hi ? ` ${[lo, hi].filter(Boolean).join(' and ')}` : ''}`;
}

function number(flag: string, spec: FlagSpec, text: string): number {
  const v = Number(text);
  const integer = spec.kind === 'int' || spec.kind === 'ints';
  const ok =
    text.trim() !== '' &&
    Number.isFinite(v) &&
    (!integer || Number.isInteger(v)) &&
    (spec.min === undefined || (spec.minOpen ? v > spec.min : v >= spec.min)) &&
    (spec.max === undefined || v <= spec.max);
  if (!ok) throw new UsageError(`--${flag} must be ${range(spec)}, got '${text}'`);
  return v;
}

/** Parse `argv` (after the command name) against `specs`. */
export function parseArgs(command: string, argv: readonly string[], specs: Specs, maxPositional = 0): Parsed {
  const flags: Parsed['flags'] = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown flag --${name} (see a3t ${command} --help)`);
    if (name in flags) throw new UsageError(`--${name} is given twice`);
    if (spec.kind === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (text === undefined) throw new UsageError(`--${name} needs a value: ${range(spec)}`);
    if (spec.kind === 'string') {
      if (spec.choices && !spec.choices.includes(text)) throw new UsageError(`--${name} must be ${range(spec)}, got '${text}'`);
      flags[name] = text;
    } else if (spec.kind === 'numbers' || spec.kind === 'ints') {
      const parts = text.split(',');
      flags[name] = parts.map((p) => number(name, spec, p));
    } else flags[name] = number(name, spec, text);
  }
  if (positional.length > maxPositional) throw new UsageError(`unexpected argument '${positional[maxPositional]}'`);
  return { flags, positional };
}

export function helpText(command: string, usage: string, specs: Specs): string {
  const width = Math.max(...Object.keys(specs).map((k) => k.length)) + 4;
  const lines = Object.entries(specs).map(([k, s]) => `  --${k.padEnd(width)}${s.help}`);
  return `usage: a3t ${command} ${usage}\n\n${lines.join('\n')}\n`;
}
