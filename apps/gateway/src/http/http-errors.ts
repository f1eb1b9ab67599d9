import { ErrorCode, HTTP_STATUS, RpcError, type RpcErrorBody } from '@live-im/contracts';
import { HttpException } from '@nestjs/common';

/** The JSON body of every error the HTTP API answers. */
export interface HttpErrorBody {
  error: RpcErrorBody;
}

export interface HttpErrorReply {
  status: number;
  body: HttpErrorBody;
  /** True when the error was not a contract error or an HTTP one: a bug worth a log line. */
  unexpected: boolean;
}

/** Statuses Nest and Express raise themselves (no route, bad JSON, body too large...) as contract codes. */
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.INVALID_ARGUMENT,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.NOT_FOUND,
  409: ErrorCode.ALREADY_EXISTS,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  429: ErrorCode.RATE_LIMITED,
  501: ErrorCode.UNIMPLEMENTED,
  502: ErrorCode.WORKER_LOST,
  503: ErrorCode.SERVICE_UNAVAILABLE,
  504: ErrorCode.DEADLINE_EXCEEDED,
};

/**
 * Any error of an HTTP route as `{error: {code, message, details?}}` with the contract's status
 * (HTTP_STATUS): RPC errors pass through with their code, HTTP exceptions map by status, anything
 * else is INTERNAL without detail.
 */
export function httpErrorOf(exception: unknown): HttpErrorReply {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code =
      CODE_OF_STATUS[status] ??
      (status >= 400 && status < 500 ? ErrorCode.INVALID_ARGUMENT : ErrorCode.INTERNAL);
    return reply(
      new RpcError(code, code === ErrorCode.INTERNAL ? 'internal error' : exception.message),
      false,
    );
  }
  const error = RpcError.from(exception);
  const unexpected = !(exception instanceof RpcError) && error.code === ErrorCode.INTERNAL;
  return reply(error, unexpected);
}

function reply(error: RpcError, unexpected: boolean): HttpErrorReply {
  return { status: HTTP_STATUS[error.code], body: { error: error.toBody() }, unexpected };
}
