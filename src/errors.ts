// Error catalogue with stable codes (fastify style): users and scripts match on `code`, never on text.

export const ErrorCodes = {
  CONFIG_INVALID: 'DRSND_CONFIG_INVALID',
  CONFIG_NOT_FOUND: 'DRSND_CONFIG_NOT_FOUND',
  MODEL_NOT_FOUND: 'DRSND_MODEL_NOT_FOUND',
  MODEL_INVALID: 'DRSND_MODEL_INVALID',
  MODEL_MISMATCH: 'DRSND_MODEL_MISMATCH',
  ENGINE_UNAVAILABLE: 'DRSND_ENGINE_UNAVAILABLE',
  INFERENCE_FAILED: 'DRSND_INFERENCE_FAILED',
  DATA_FILE_INVALID: 'DRSND_DATA_FILE_INVALID',
  BAD_INPUT: 'DRSND_BAD_INPUT',
  SERIAL_PORT: 'DRSND_SERIAL_PORT',
  STORE: 'DRSND_STORE',
  /** Another drsnd owns this database (its lock file is held). */
  STORE_LOCKED: 'DRSND_STORE_LOCKED',
  /** The database file was deleted or replaced under the running daemon. */
  STORE_REPLACED: 'DRSND_STORE_REPLACED',
  NOT_FOUND: 'DRSND_NOT_FOUND',
  USAGE: 'DRSND_USAGE',
  /** HTTP: no or a wrong bearer token. */
  UNAUTHORIZED: 'DRSND_UNAUTHORIZED',
  /** HTTP/MQTT requests: too many queries waiting; try again shortly. */
  BUSY: 'DRSND_BUSY',
  /** HTTP/MQTT requests: the request does not fit the current state (a baseline already learning, not learning, too short). */
  CONFLICT: 'DRSND_CONFLICT',
  /** HTTP/MQTT requests: the part that would answer is not running (starting, stopping, disabled). */
  UNAVAILABLE: 'DRSND_UNAVAILABLE',
  /** HTTP: a bug or an unexpected failure; the daemon log has the details. */
  INTERNAL: 'DRSND_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class DrsndError extends Error {
  readonly code: ErrorCode;
  readonly details: string[];
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: string[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DrsndError';
    this.code = code;
    this.details = opts.details ?? [];
  }
}

export function isDrsndError(e: unknown, code?: ErrorCode): e is DrsndError {
  return e instanceof DrsndError && (code === undefined || e.code === code);
}
