import { ErrorCode, isRpcErrorBody, RpcError } from '@live-im/contracts';
import { BodyCodec, JsonCodec } from '../protocol/codec';
import { Command, ReplyStatus, RequestFlag } from '../protocol/command';
import { encodeReplyMeta } from '../protocol/frames';
import { OK_CODE, rpcServerDuration } from '../rpc-metrics';
import { BrokerLink, describe } from '../socket/broker-link';

/** How a handler answers one request. Only the first final answer counts. */
export interface ReplyWriter {
  /** `final` sends OK (the request is done); otherwise NEXT (one value of a stream, more follow). */
  value(value: unknown, final: boolean): void;
  /** END: the stream completed. */
  end(): void;
  /** ERROR with the error's contract code; anything but an RpcError (or its body) is INTERNAL. */
  fail(error: unknown): void;
}

/** Told when a request got its final reply, so its credit goes back. */
export interface RequestOwner {
  replied(request: InboundRequest): void;
  /** An error that is not a contract error: logged here, never sent. */
  unexpected(request: InboundRequest, error: unknown): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * One request a worker took from one broker: its meta, and the writer of its replies (which go
 * back through the broker it came from, with that broker's id, in the codec it came in).
 */
export class InboundRequest implements ReplyWriter {
  /** Monotonic ms when its handler was started (0 until then); the reply is timed from here. */
  startedAt = 0;
  private done = false;
  private body: Buffer | undefined;

  constructor(
    private readonly owner: RequestOwner,
    /** The broker it came from (index into the worker's links). */
    readonly link: BrokerLink,
    readonly id: number,
    readonly pattern: string,
    readonly traceId: string,
    /** Monotonic ms. */
    readonly deadline: number,
    readonly flags: number,
    readonly codec: BodyCodec,
    body: Buffer,
  ) {
    this.body = body;
  }

  /** EVENT: the caller wants nothing; the broker only needs the credit back. */
  get isEvent(): boolean {
    return (this.flags & RequestFlag.EVENT) !== 0;
  }

  get isIdempotent(): boolean {
    return (this.flags & RequestFlag.IDEMPOTENT) !== 0;
  }

  get finished(): boolean {
    return this.done;
  }

  /** The request body, once: it is not kept while the handler runs. */
  takeBody(): Buffer {
    const body = this.body ?? EMPTY;
    this.body = undefined;
    return body;
  }

  value(value: unknown, final: boolean): void {
    if (this.done) return;
    if (this.isEvent) {
      if (final) this.acknowledgeEvent();
      return;
    }
    let body: Buffer;
    try {
      body = this.codec.encode(value);
    } catch (error) {
      this.owner.unexpected(this, error);
      this.fail(new RpcError(ErrorCode.INTERNAL, 'reply cannot be encoded'));
      return;
    }
    this.link.sendPair(
      Command.REPLY,
      encodeReplyMeta(this.id, final ? ReplyStatus.OK : ReplyStatus.NEXT, this.codec.id),
      body,
    );
    if (final) this.finish(OK_CODE);
  }

  end(): void {
    if (this.done) return;
    if (this.isEvent) {
      this.acknowledgeEvent();
      return;
    }
    this.link.sendPair(Command.REPLY, encodeReplyMeta(this.id, ReplyStatus.END, this.codec.id), EMPTY);
    this.finish(OK_CODE);
  }

  fail(error: unknown): void {
    if (this.done) return;
    if (!(error instanceof RpcError) && !isRpcErrorBody(error)) this.owner.unexpected(this, error);
    const rpcError = RpcError.from(error);
    if (this.isEvent) {
      this.acknowledgeEvent(rpcError.code);
      return;
    }
    sendError(this.link, this.id, rpcError);
    this.finish(rpcError.code);
  }

  private acknowledgeEvent(code: string = OK_CODE): void {
    this.link.sendPair(Command.REPLY, encodeReplyMeta(this.id, ReplyStatus.OK, JsonCodec.id), EMPTY);
    this.finish(code);
  }

  private finish(code: string): void {
    if (this.startedAt > 0) rpcServerDuration.observe(this.pattern, code, this.startedAt);
    this.done = true;
    this.owner.replied(this);
  }
}

/** ERROR bodies are JSON whatever the request's codec, so any hop and any language can read them. */
export function sendError(link: BrokerLink, id: number, error: RpcError): void {
  let body: Buffer;
  try {
    body = JsonCodec.encode(error.toBody());
  } catch (encodeError) {
    // Details that do not serialise (a cycle, a BigInt) must not cost the caller its answer.
    body = JsonCodec.encode({ code: error.code, message: `${error.message} (${describe(encodeError)})` });
  }
  link.sendPair(Command.REPLY, encodeReplyMeta(id, ReplyStatus.ERROR, JsonCodec.id), body);
}
