// JSON responses and the mapping from the project's stable error codes to HTTP statuses. The body of
// every error is { "error": { "code": "DRSND_…", "message": "…" } }: clients match on `code`.
import type { ServerResponse } from 'node:http';
import { ErrorCodes, isDrsndError, type ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.USAGE]: 400,
  [ErrorCodes.UNAUTHORIZED]: 401,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.CONFLICT]: 409,
  [ErrorCodes.BUSY]: 503,
  [ErrorCodes.UNAVAILABLE]: 503,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** The status and body for an error; anything not a DrsndError is an internal error (500, message hidden). */
export function errorResponse(e: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (isDrsndError(e)) {
    const status = STATUS[e.code] ?? 500;
    const headers: Record<string, string> = status === 503 ? { 'retry-after': '1' } : status === 401 ? { 'www-authenticate': 'Bearer realm="drsnd"' } : {};
    return { status, body: { error: { code: e.code, message: e.message } }, headers };
  }
  return { status: 500, body: { error: { code: ErrorCodes.INTERNAL, message: 'internal error (see the daemon log)' } }, headers: {} };
}

export function sendError(res: ServerResponse, e: unknown): void {
  const { status, body, headers } = errorResponse(e);
  sendJson(res, status, body, headers);
}
