// A queue that cannot be used (unreachable, refused, another a3t version, gone past --queue-timeout): one line, exit 1.
import { A3tError } from '../errors.js';

export class QueueError extends A3tError {
  constructor(message: string) {
    super('input', message);
  }
}
