import { RpcError } from '@live-im/contracts';
import { BodyCodec } from '../protocol/codec';
import { OK_CODE, rpcClientDuration } from '../rpc-metrics';

/** What a pending entry waits for. */
export const CallKind = {
  /** One final value (the last NEXT value when the worker streams). */
  CALL: 0,
  /** Every NEXT value, then completion. */
  STREAM: 1,
  /** Fire-and-forget: settled once handed to a broker's queue. */
  EVENT: 2,
  /** A broker's STATS_REPLY. */
  STATS: 3,
} as const;

export type CallKind = (typeof CallKind)[keyof typeof CallKind];

/** Receives the values of a streamed call; error and complete are final. */
export interface StreamObserver {
  next(value: unknown): void;
  error(error: RpcError): void;
  complete(): void;
}

/** No one listens (a cancelled stream, an event nobody awaits). */
const IGNORE = (): void => undefined;

/**
 * One request the client still owes its caller an outcome for. It carries what re-sending needs
 * (body, deadline, flags) so a broker's death can move it to another broker without the caller
 * noticing. Settling functions are fields, not closures, so a call costs the promise and this.
 */
export class PendingCall {
  /** Index of the broker link carrying it; -1 while it waits for a live broker. */
  broker = -1;
  /** A stream that already delivered values cannot be re-sent without duplicating them. */
  delivered = false;
  resolve: (value: unknown) => void = IGNORE;
  reject: (error: RpcError) => void = IGNORE;
  observer: StreamObserver | undefined;
  /** Monotonic ms when the caller made the call; its outcome is timed from here. */
  startedAt = 0;
  /** How long its first send may wait to leave with other calls (CallOptions.coalesceMs). */
  coalesceMs = 0;
  private lastValue: unknown = undefined;

  constructor(
    readonly id: number,
    readonly kind: CallKind,
    readonly pattern: string,
    readonly flags: number,
    readonly codec: BodyCodec,
    readonly traceId: string,
    readonly body: Buffer,
    /** Monotonic ms. */
    readonly deadline: number,
    /** Broker index this must go to (STATS), or -1 for any live broker. */
    readonly target: number,
  ) {}

  /** A value from the worker; `final` for an OK reply, not for NEXT. */
  value(value: unknown, final: boolean): void {
    if (final) this.timeOutcome(OK_CODE);
    if (this.kind === CallKind.STREAM) {
      this.delivered = true;
      this.observer?.next(value);
      if (final) this.observer?.complete();
    } else if (final) {
      this.resolve(value);
    } else {
      this.delivered = true;
      this.lastValue = value;
    }
  }

  /** END: the stream completed. */
  end(): void {
    this.timeOutcome(OK_CODE);
    if (this.kind === CallKind.STREAM) this.observer?.complete();
    else this.resolve(this.lastValue);
  }

  fail(error: RpcError): void {
    this.timeOutcome(error.code);
    if (this.kind === CallKind.STREAM) this.observer?.error(error);
    else this.reject(error);
  }

  /** Calls and streams only: an event's outcome is its hand-over, STATS is not an RPC. */
  private timeOutcome(code: string): void {
    if (this.kind === CallKind.CALL || this.kind === CallKind.STREAM) {
      rpcClientDuration.observe(this.pattern, code, this.startedAt);
    }
  }
}
