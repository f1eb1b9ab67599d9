import { ErrorCode, HTTP_STATUS, RpcError, type RpcErrorBody } from '@live-im/contracts';
import { HttpException } from '@nestjs/common';
import { z } from 'zod';

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
  const bodyError = bodyParserError(exception);
  if (bodyError !== undefined) return reply(bodyError, false);
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

/**
 * What Express's body parser (body-parser, via http-errors) raises: a client error it marks as safe
 * to show (`expose`), with a `type` naming the case. Zlib's own errors (a bad gzip body) come
 * wrapped the same way without a type.
 */
const BodyParserError = z.object({
  status: z.number().int().min(400).max(499),
  expose: z.literal(true),
  type: z.string().optional(),
  limit: z.number().optional(),
});

/** The body parser's refusals by `type`, as contract errors with messages that echo no body bytes. */
function bodyParserError(exception: unknown): RpcError | undefined {
  if (!(exception instanceof Error) || exception instanceof HttpException) return undefined;
  const parsed = BodyParserError.safeParse(exception);
  if (!parsed.success) return undefined;
  const { type, limit, status } = parsed.data;
  switch (type) {
    case 'entity.too.large':
      return new RpcError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        limit === undefined ? 'request body too large' : `request body larger than ${limit} bytes`,
        limit === undefined ? undefined : { limit },
      );
    case 'entity.parse.failed':
      return new RpcError(ErrorCode.INVALID_ARGUMENT, 'request body is not valid JSON');
    case 'encoding.unsupported':
      return new RpcError(
        ErrorCode.INVALID_ARGUMENT,
        'unsupported content-encoding (identity, gzip, deflate or br)',
      );
    case 'charset.unsupported':
      return new RpcError(ErrorCode.INVALID_ARGUMENT, 'unsupported charset (utf-8)');
    case 'request.aborted':
      return new RpcError(ErrorCode.INVALID_ARGUMENT, 'request aborted before its body was complete');
    case undefined:
      // Zlib refused the compressed body, or a bad length came with it.
      return new RpcError(ErrorCode.INVALID_ARGUMENT, 'request body could not be decoded');
    default:
      return new RpcError(
        CODE_OF_STATUS[status] ?? ErrorCode.INVALID_ARGUMENT,
        `request body refused (${type})`,
      );
  }
}
