// One error base class for the processor: a stable code, whether retrying can help, the cause,
// and where the record came from. Programmer errors and unknown failures are not retriable.

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface BuddyStreamErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  position?: RecordPosition;
}

export class BuddyStreamError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly position: RecordPosition | undefined;

  constructor(code: string, message: string, options: BuddyStreamErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'BuddyStreamError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.position = options.position;
  }
}

/** Anything thrown, as an Error (a thrown string or object keeps its text). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}
