import { ErrorCode, isErrorCode } from './error-code';

/** The wire shape of an error: what a reply body, a Socket.IO ack or an HTTP body carries. */
export interface RpcErrorBody {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** An error as a value: thrown by handlers and rejected by callers, always with a contract code. */
export class RpcError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toBody(): RpcErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromBody(body: unknown): RpcError {
    if (isRpcErrorBody(body)) return new RpcError(body.code, body.message, body.details);
    return new RpcError(ErrorCode.INTERNAL, 'malformed error reply');
  }

  /** Anything thrown becomes an RpcError; unknown errors become INTERNAL without leaking a stack. */
  static from(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    if (isRpcErrorBody(error)) return RpcError.fromBody(error);
    return new RpcError(ErrorCode.INTERNAL, 'internal error');
  }
}

export function isRpcErrorBody(value: unknown): value is RpcErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return isErrorCode(v['code']) && typeof v['message'] === 'string';
}
