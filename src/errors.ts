// The one error type for problems a user can fix. Its kind decides the command line's exit code:
// 'usage' (a flag, a setting, an argument: exit 2) or 'input' (a file, the data, a run that failed
// in a way the user can act on: exit 1). Anything else thrown is a bug and is reported as one.

export type ErrorKind = 'usage' | 'input';

export class A3tError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    // Subclasses (DataError, CheckpointError, ...) are named after themselves.
    this.name = new.target.name;
  }
}

/** A usage error: the message names the setting or argument and what it accepts. */
export const usageError = (message: string): A3tError => new A3tError('usage', message);

/** An input error: the message names the file or data and what is wrong with it. */
export const inputError = (message: string, options?: ErrorOptions): A3tError => new A3tError('input', message, options);
