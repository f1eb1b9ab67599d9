import { ErrorCode } from '../errors/error-code';

/** The HTTP status of each contract code, for the gateway's HTTP API. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  RATE_LIMITED: 429,
  MUTED: 403,
  BANNED: 403,
  PAYLOAD_TOO_LARGE: 413,
  ROOM_CLOSED: 409,
  SERVICE_UNAVAILABLE: 503,
  WORKER_LOST: 502,
  DEADLINE_EXCEEDED: 504,
  OVERLOADED: 503,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
});
