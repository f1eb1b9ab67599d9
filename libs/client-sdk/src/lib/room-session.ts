import {
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResults,
  ErrorCode,
  type HistoryResult,
  type JoinResult,
  type KickedEvent,
  type Lane,
  type LaneMessages,
  type LaneSeqs,
  type OnlineInfo,
  type Receipt,
  type ResumePoint,
  type RoomInfo,
  type RoomMessage,
} from '@live-im/contracts';
import type { GatewayConnection } from './gateway-connection';
import { isTransient, LiveError } from './live-error';
import { type RoomClosedEvent, RoomEmitter } from './room-events';
import { RoomHandle } from './room-handle';
import { RoomStream } from './room-stream';

/** Which failures a request may be sent again after. */
export type RetryPolicy =
  /** Idempotent (reads, joins, sends with a clientMsgId): transient codes and dropped connections. */
  | 'transient'
  /** Not idempotent (likes): only when the server certainly did not act on it. */
  | 'unsent'
  | 'never';

export interface CallOptions {
  /** Sent once this room is joined on the current connection (the gateway refuses it otherwise). */
  roomId?: string;
  retry: RetryPolicy;
}

/** What a room session needs from its client. */
export interface RoomHost {
  readonly requestTimeoutMs: number;
  call<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    options: CallOptions,
  ): Promise<ClientEventResults[E]>;
  /** The app has the message (or got it again): ack it if it asks for a receipt. */
  delivered(message: RoomMessage): void;
  leave(session: RoomSession): Promise<void>;
  reportError(error: LiveError): void;
}

/** History re-reads on a transient failure during a gap fill, before giving the range up. */
const FILL_PAGE_RETRIES = 2;

type Status = 'joining' | 'joined' | 'ended';

interface JoinWaiter {
  resolve(connection: GatewayConnection): void;
  reject(error: LiveError): void;
}

/**
 * The SDK's side of one room: its ordered stream, its join state across reconnects, and the
 * events its RoomHandle shows the app. Until the app had a chance to attach listeners to a newly
 * joined room (the next macrotask after joinRoom resolves), its events are queued, not lost.
 */
export class RoomSession {
  readonly events = new RoomEmitter();
  readonly handle: RoomHandle;
  /** The pending first join, shared by every joinRoom call for this room. */
  firstJoin: Promise<RoomHandle> | undefined;
  private readonly stream: RoomStream;
  private status: Status = 'joining';
  private connection: GatewayConnection | undefined;
  private readonly waiters = new Set<JoinWaiter>();
  private outbox: Array<() => void> | undefined = [];
  private roomInfo: RoomInfo | undefined;
  private onlineInfo: OnlineInfo | undefined;
  private recentMessages: LaneMessages = { important: [], normal: [] };

  constructor(
    readonly roomId: string,
    private readonly host: RoomHost,
  ) {
    this.handle = new RoomHandle(this);
    this.stream = new RoomStream(roomId, (lane, afterSeq, limit) => this.historyPage(lane, afterSeq, limit), {
      deliver: (message) => this.post(() => this.deliver(message)),
      repeated: (message) => this.host.delivered(message),
      gap: (gap) => this.post(() => this.events.fire('gap', gap)),
      error: (error) => this.host.reportError(error),
    });
  }

  get active(): boolean {
    return this.status !== 'ended';
  }

  get joined(): boolean {
    return this.status === 'joined';
  }

  get everJoined(): boolean {
    return this.stream.everJoined;
  }

  get info(): RoomInfo {
    if (this.roomInfo === undefined)
      throw new LiveError(ErrorCode.FORBIDDEN, `${this.roomId} is not joined yet`);
    return this.roomInfo;
  }

  get online(): OnlineInfo {
    return this.onlineInfo ?? { roomId: this.roomId, count: 0, peak: 0, viewersEver: 0 };
  }

  get seqs(): { normal: number; important: number } {
    return this.stream.seqs;
  }

  get recent(): LaneMessages {
    return this.recentMessages;
  }

  resumePoint(): ResumePoint | undefined {
    return this.stream.resumePoint();
  }

  /** A join (first or after a reconnect) is being sent on `connection`: arrivals wait for its answer. */
  beginJoin(): void {
    if (this.status === 'ended') return;
    this.status = 'joining';
    this.connection = undefined;
    this.stream.suspend();
  }

  /** The join answer on `connection`. */
  applyJoin(result: JoinResult, connection: GatewayConnection, resumed: boolean): void {
    if (this.status === 'ended') return;
    this.roomInfo = result.room;
    this.onlineInfo = result.online;
    if (!resumed) this.recentMessages = result.recent;
    // Joined before the answer is applied: the fills it may start read history on this connection.
    this.connection = connection;
    this.status = 'joined';
    this.stream.applyJoin(result, resumed);
    for (const waiter of [...this.waiters]) waiter.resolve(connection);
    this.waiters.clear();
  }

  /** After the first join resolved: the app attached its listeners in the same turn; queued events follow. */
  openSoon(): void {
    setTimeout(() => {
      const queued = this.outbox;
      this.outbox = undefined;
      for (const run of queued ?? []) run();
    }, 0);
  }

  /** The connection dropped: wait for the rejoin (which resumes where each lane stands). */
  connectionLost(): void {
    if (this.status === 'ended') return;
    this.status = 'joining';
    this.connection = undefined;
    this.stream.suspend();
  }

  /** Resolves with the connection once the room is joined on it, within `timeoutMs`. */
  whenJoined(timeoutMs: number, what: string): Promise<GatewayConnection> {
    if (this.status === 'ended') return Promise.reject(this.notIn());
    const connection = this.connection;
    if (this.status === 'joined' && connection?.open) return Promise.resolve(connection);
    return new Promise<GatewayConnection>((resolve, reject) => {
      const waiter: JoinWaiter = {
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(LiveError.notConnected(`${what} in ${this.roomId}`, timeoutMs));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  batch(info: Parameters<RoomStream['batch']>[0], body: unknown): void {
    if (this.status !== 'ended') this.stream.batch(info, body);
  }

  /** A room-lane message re-delivered on its own (`direct` without `to`). */
  roomMessage(message: RoomMessage): void {
    if (this.status !== 'ended') this.stream.roomMessage(message);
  }

  /** A message for this user only (`to`): not in the room's lanes, delivered as it comes. */
  targeted(message: RoomMessage): void {
    if (this.status !== 'ended') this.post(() => this.deliver(message));
  }

  onlineChanged(online: OnlineInfo): void {
    if (this.status === 'ended') return;
    this.onlineInfo = online;
    this.post(() => this.events.fire('online', online));
  }

  /** The room's latest seqs from the seq beacon: a lane left behind them pulls what it lacks. */
  beacon(seqs: LaneSeqs): void {
    if (this.status !== 'ended') this.stream.beacon(seqs);
  }

  receipt(receipt: Receipt): void {
    if (this.status !== 'ended') this.post(() => this.events.fire('receipt', receipt));
  }

  /** The gateway removed this user from the room. */
  kicked(event: KickedEvent): void {
    if (this.finish(new LiveError(ErrorCode.FORBIDDEN, `removed from ${this.roomId}: ${event.reason}`)))
      this.post(() => this.events.fire('kicked', event));
  }

  /** The room closed, or a rejoin was refused for good. */
  closed(event: RoomClosedEvent): void {
    if (this.finish(new LiveError(ErrorCode.ROOM_CLOSED, `${this.roomId} closed: ${event.reason}`))) {
      this.post(() => this.events.fire('closed', event));
    }
  }

  /** Left or the client closed: nothing more is delivered; waiting requests fail with `error`. */
  dispose(error: LiveError): void {
    this.finish(error);
    this.outbox = undefined;
  }

  /** Sends a request about this room (the handle's methods). */
  call<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    retry: RetryPolicy,
  ): Promise<ClientEventResults[E]> {
    if (this.status === 'ended') return Promise.reject(this.notIn());
    return this.host.call(event, payload, { roomId: this.roomId, retry });
  }

  leave(): Promise<void> {
    return this.host.leave(this);
  }

  private finish(error: LiveError): boolean {
    if (this.status === 'ended') return false;
    this.status = 'ended';
    this.connection = undefined;
    this.stream.suspend();
    for (const waiter of [...this.waiters]) waiter.reject(error);
    this.waiters.clear();
    return true;
  }

  private notIn(): LiveError {
    return new LiveError(ErrorCode.FORBIDDEN, `not in room ${this.roomId}; join it first`, {
      roomId: this.roomId,
    });
  }

  private post(run: () => void): void {
    if (this.outbox !== undefined) this.outbox.push(run);
    else run();
  }

  private deliver(message: RoomMessage): void {
    this.events.fire('message', message);
    this.events.fire(message.type, message);
    this.host.delivered(message);
  }

  /** One history page for a gap fill, on the connection the room is joined on. */
  private async historyPage(lane: Lane, afterSeq: number, limit: number): Promise<HistoryResult> {
    for (let attempt = 0; ; attempt += 1) {
      const connection = this.connection;
      if (this.status !== 'joined' || connection === undefined) throw LiveError.connectionLost('history');
      try {
        return await connection.request(
          'history',
          { roomId: this.roomId, lane, afterSeq, limit },
          this.host.requestTimeoutMs,
        );
      } catch (caught) {
        const error = LiveError.from(caught);
        if (error.connectionLost || !isTransient(error) || attempt >= FILL_PAGE_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }
}
