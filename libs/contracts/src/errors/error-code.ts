/**
 * Every error that crosses a process boundary carries one of these codes. Clients branch on the
 * code, never on the message text.
 */
export const ErrorCode = {
  /** The request failed validation; `details.fields` names each offending field. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** No or bad credentials (wrong password, bad or expired token). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Authenticated, but not allowed (guests sending, non-admins administering). */
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** The caller exceeded a rate limit; retry later. */
  RATE_LIMITED: 'RATE_LIMITED',
  MUTED: 'MUTED',
  BANNED: 'BANNED',
  /** The message or payload is larger than allowed. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The room is closed to new messages. */
  ROOM_CLOSED: 'ROOM_CLOSED',
  /** No live worker serves the service (after the broker's grace period). */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The worker (or broker) holding a non-idempotent request died; its outcome is unknown. */
  WORKER_LOST: 'WORKER_LOST',
  /** The request's deadline passed before it could complete. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** A bounded queue is full; the request was refused rather than queued. */
  OVERLOADED: 'OVERLOADED',
  /** The pattern is not served by any handler of the service. */
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
