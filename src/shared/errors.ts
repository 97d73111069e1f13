/**
 * The one table of error codes shared by the worker and the UI. Errors cross
 * the worker boundary as plain `{ code, message }` objects: Comlink keeps only
 * name/message/stack of real Errors, so custom subclasses would not survive.
 * Messages never contain user content or SQL with values.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'CONFLICT',
  'QUERY_FAILED',
  'TRANSACTION_FAILED',
  'MIGRATION_FAILED',
  'IMPORT_REJECTED',
  'LOCKED',
  'ENCRYPTED',
  'QUOTA_EXCEEDED',
  /** Sync with the server failed: unreachable, token refused, no grant (the message says which). */
  'SYNC_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MnemoError {
  code: ErrorCode;
  message: string;
}

/** Thrown inside the worker; normalized to a plain {@link MnemoError} at the edge. */
export class MnemoFailure extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'MnemoFailure';
    this.code = code;
  }
  toJSON(): MnemoError {
    return { code: this.code, message: this.message };
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new MnemoFailure(code, message);
}

export function isMnemoError(value: unknown): value is MnemoError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MnemoError).message === 'string' &&
    (ERROR_CODES as readonly string[]).includes((value as MnemoError).code)
  );
}
