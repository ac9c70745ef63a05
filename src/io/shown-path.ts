// How reports name a file a reader gave: relative to the directory the command ran in when it lies
// below it ('runs/readme-at/checkpoint.a3t'), else by its last component; never a machine's absolute path.
import { basename, isAbsolute, relative, resolve } from 'node:path';

export function shownPath(file: string): string {
  const rel = relative(process.cwd(), resolve(file));
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? basename(resolve(file)) : rel;
}
