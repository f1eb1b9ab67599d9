import { ErrorCode, type RpcErrorBody } from '@live-im/contracts';

/** The errors the broker itself answers with. */
export type BrokerErrorCode =
  | typeof ErrorCode.SERVICE_UNAVAILABLE
  | typeof ErrorCode.WORKER_LOST
  | typeof ErrorCode.DEADLINE_EXCEEDED
  | typeof ErrorCode.OVERLOADED
  | typeof ErrorCode.PAYLOAD_TOO_LARGE
  | typeof ErrorCode.FORBIDDEN;

/**
 * Encoded JSON bodies of the broker's error replies, built once: under overload the broker answers
 * thousands of OVERLOADED per second and must not serialise each one.
 */
export class ErrorReplies {
  private readonly bodies: Record<BrokerErrorCode, Buffer>;

  constructor(limits: { maxBodyBytes: number; serviceGraceMs: number }) {
    this.bodies = {
      [ErrorCode.SERVICE_UNAVAILABLE]: encode({
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: `no worker serves the service (waited ${limits.serviceGraceMs} ms)`,
      }),
      [ErrorCode.WORKER_LOST]: encode({
        code: ErrorCode.WORKER_LOST,
        message: 'the worker holding the request died; its outcome is unknown',
      }),
      [ErrorCode.DEADLINE_EXCEEDED]: encode({
        code: ErrorCode.DEADLINE_EXCEEDED,
        message: 'the deadline passed before the request was dispatched',
      }),
      [ErrorCode.OVERLOADED]: encode({
        code: ErrorCode.OVERLOADED,
        message: 'the broker queue is full',
      }),
      [ErrorCode.PAYLOAD_TOO_LARGE]: encode({
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: `the request body is larger than ${limits.maxBodyBytes} bytes`,
        details: { limit: limits.maxBodyBytes },
      }),
      [ErrorCode.FORBIDDEN]: encode({
        code: ErrorCode.FORBIDDEN,
        message: "the caller's bus key may not call this pattern",
      }),
    };
  }

  body(code: BrokerErrorCode): Buffer {
    return this.bodies[code];
  }
}

function encode(body: RpcErrorBody): Buffer {
  return Buffer.from(JSON.stringify(body));
}
