import { ErrorCode, isRpcErrorBody, RpcError, type RpcErrorBody } from '@live-im/contracts';

/**
 * Every failure the SDK reports: a contract code to branch on (never the message text), the
 * message, and the details the server gave (e.g. `fields` for INVALID_ARGUMENT).
 */
export class LiveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'LiveError';
  }

  static fromBody(body: RpcErrorBody): LiveError {
    return new LiveError(body.code, body.message, body.details);
  }

  /** Anything thrown or answered becomes a LiveError; unknown shapes are INTERNAL. */
  static from(error: unknown): LiveError {
    if (error instanceof LiveError) return error;
    if (isRpcErrorBody(error)) return LiveError.fromBody(error);
    // The contracts' parseOrThrow throws RpcError (INVALID_ARGUMENT naming the field).
    if (error instanceof RpcError) return new LiveError(error.code, error.message, error.details);
    return new LiveError(ErrorCode.INTERNAL, error instanceof Error ? error.message : 'internal error');
  }

  /** The connection carrying a request dropped before its answer: its outcome is unknown. */
  static connectionLost(what: string): LiveError {
    return new LiveError(ErrorCode.SERVICE_UNAVAILABLE, `the connection dropped during ${what}`, {
      connectionLost: true,
    });
  }

  /** The request was never sent: there was no connection to send it on in time. */
  static notConnected(what: string, waitedMs: number): LiveError {
    return new LiveError(ErrorCode.DEADLINE_EXCEEDED, `no connection for ${what} within ${waitedMs} ms`, {
      notSent: true,
    });
  }

  static closed(): LiveError {
    return new LiveError(ErrorCode.SERVICE_UNAVAILABLE, 'the client is closed', { closed: true });
  }

  get connectionLost(): boolean {
    return this.details?.['connectionLost'] === true;
  }

  /** True when the server never saw the request, so retrying cannot repeat it. */
  get notSent(): boolean {
    return this.details?.['notSent'] === true;
  }

  get clientClosed(): boolean {
    return this.details?.['closed'] === true;
  }
}

/** Codes after which the same request (same clientMsgId) may be sent again. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.SERVICE_UNAVAILABLE,
  ErrorCode.DEADLINE_EXCEEDED,
  ErrorCode.WORKER_LOST,
]);

/** A failure a retry may cure: a transient code or a dropped connection, never a closed client. */
export function isTransient(error: LiveError): boolean {
  return !error.clientClosed && TRANSIENT.has(error.code);
}
