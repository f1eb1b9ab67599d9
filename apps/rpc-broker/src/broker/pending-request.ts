import { RequestFlag } from '@live-im/zmq-transport';
import type { ClientPeer } from './client-registry';
import type { RequestList } from './request-list';
import type { WorkerPeer } from './worker-peer';

/**
 * One client request from arrival until its final reply (or error). The broker keeps the meta and
 * body frames as received and rewrites id and timeout in place for each dispatch; it never parses
 * the body. Times are milliseconds on the broker's monotonic clock.
 */
export class PendingRequest {
  /** Links of the one RequestList holding this request: its service queue or its worker's in-flight list. */
  prev: PendingRequest | null = null;
  next: PendingRequest | null = null;
  list: RequestList | null = null;
  /** The broker-wide id of the current dispatch; meaningful while `worker` is set. */
  brokerRequestId = 0;
  /** The worker holding the request, null while it is queued. */
  worker: WorkerPeer | null = null;
  dispatchCount = 0;
  /**
   * Set when a send to the worker failed outright: the worker never saw the request, so it may be
   * re-dispatched even if it is not idempotent.
   */
  undelivered = false;
  /** Its final outcome is settled (answered, failed, dropped): its client no longer holds it. */
  settled = false;

  constructor(
    readonly client: ClientPeer,
    /** The id the client chose; replies carry it back. */
    readonly clientRequestId: number,
    readonly service: string,
    public meta: Buffer,
    readonly body: Buffer,
    readonly flags: number,
    readonly arrivedAt: number,
    readonly deadline: number,
    /** When it last entered a queue; the service grace period runs from here. */
    public waitingSince: number,
  ) {}

  get idempotent(): boolean {
    return (this.flags & RequestFlag.IDEMPOTENT) !== 0;
  }

  /** Fire-and-forget: the worker's reply is consumed by the broker and errors are not sent. */
  get isEvent(): boolean {
    return (this.flags & RequestFlag.EVENT) !== 0;
  }
}
