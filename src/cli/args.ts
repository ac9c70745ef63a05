// Command-line arguments: node:util's tokenizer, then each flag's value parsed and checked by its
// setting (src/settings.ts), so messages name the flag and what it accepts. Errors are usage errors (exit 2).
import { parseArgs as tokenize } from 'node:util';
import { usageError } from '../errors.js';
import { type Setting, accepted, helpLine, parseValue } from '../settings.js';

/** A command's flags by key: a training setting's key (e.g. trainEps), or the flag's own name. */
export type Flags = Readonly<Record<string, Setting>>;
export type Parsed = { flags: Record<string, unknown>; positional: string[] };

/** Flags every command takes. */
export const COMMON: Flags = {
  help: { kind: 'flag', flag: 'help', help: 'show this help (also -h)' },
};

/** Parse `argv` (after the command name): values by key, checked; `--` ends the flags. */
export function parseArgs(command: string, argv: readonly string[], specs: Flags, maxPositional = 0): Parsed {
  const byFlag = new Map(Object.entries({ ...COMMON, ...specs }).map(([key, s]) => [s.flag, { key, s }]));
  const options = Object.fromEntries([...byFlag].map(([flag, { s }]) => [flag, { type: s.kind === 'flag' ? ('boolean' as const) : ('string' as const), ...(flag === 'help' ? { short: 'h' } : {}) }]));
  const { tokens } = tokenize({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'positional') positional.push(t.value);
    if (t.kind !== 'option') continue;
    const found = byFlag.get(t.name);
    if (!found) throw usageError(`unknown flag ${t.rawName} (see a3t ${command} --help)`);
    const { key, s } = found;
    if (key in flags) throw usageError(`--${s.flag} is given twice`);
    if (s.kind === 'flag') {
      if (t.inlineValue) throw usageError(`--${s.flag} takes no value`);
      flags[key] = true;
      continue;
    }
    // A value-taking flag at the end, or followed by another flag, has no value.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw usageError(`--${s.flag} needs a value: ${accepted(s)}`);
    flags[key] = parseValue(key, s, t.value);
  }
  if (positional.length > maxPositional) throw usageError(`unexpected argument '${positional[maxPositional]}' (see a3t ${command} --help)`);
  return { flags, positional };
}

/** Parse a command's arguments, or print its help and return null when asked for it (--help, -h). */
export function parseOrHelp(command: string, usage: string, argv: readonly string[], specs: Flags, maxPositional = 0): Parsed | null {
  const p = parseArgs(command, argv, specs, maxPositional);
  if (!p.flags.help) return p;
  process.stdout.write(helpText(command, usage, specs));
  return null;
}

export function helpText(command: string, usage: string, specs: Flags): string {
  const all = Object.values({ ...specs, ...COMMON });
  const width = Math.max(...all.map((s) => s.flag.length + (s.kind === 'flag' ? 2 : 3 + (s.placeholder ?? 'VALUE').length)));
  return `usage: a3t ${command} ${usage}\n\n${all.map((s) => helpLine(s, width)).join('\n')}\n`;
}
