// a3t's version, from its package.json.
import { createRequire } from 'node:module';

export const a3tVersion = (): string => (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
