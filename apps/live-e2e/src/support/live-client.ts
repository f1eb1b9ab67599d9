import { performance } from 'node:perf_hooks';
import {
  BatchInfo,
  RoomMessage,
  type Ack,
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResults,
  type ClientToServerEvents,
  type FailureEvent,
  type KickedEvent,
  type Lane,
  type OnlineInfo,
  type Receipt,
  type RpcErrorBody,
  type ServerToClientEvents,
} from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import { io, type Socket } from 'socket.io-client';

export interface LiveClientOptions {
  /** The gateway's base URL. */
  url: string;
  /** A user or guest session token; none = anonymous viewer. */
  token?: string;
  /** Default websocket only; ['polling'] keeps a client on long-polling. */
  transports?: Array<'polling' | 'websocket'>;
  /** Ack every requireAck message received (default true). */
  autoAck?: boolean;
  /** A received batch for which this returns true is thrown away, as if the network lost it. */
  dropBatch?: (info: BatchInfo) => boolean;
  /** How long `request` waits for an ack. Default 10 s. */
  ackTimeoutMs?: number;
}

/** One `batch` as received: its frame info, the decoded messages and when it came (performance.now()). */
export interface ReceivedBatch {
  info: BatchInfo;
  messages: RoomMessage[];
  receivedAt: number;
}

/** Every room message in the order it reached this client, from batches and directs alike. */
export interface Arrival {
  via: 'batch' | 'direct';
  message: RoomMessage;
}

/** A room message or online figures, in the order they reached the client. */
export type TimelineEntry = Arrival | { via: 'online'; online: OnlineInfo };

/** A failed ack, thrown by `send` so a test names the event and the code. */
export class AckError extends Error {
  constructor(
    readonly event: string,
    readonly error: RpcErrorBody,
  ) {
    super(`${event} failed with ${error.code}: ${error.message}`);
  }
}

/** The handshake was refused: `code` is the contract code of connect_error's data. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(`connect_error ${code ?? '(no code)'}: ${message}`);
  }
}

type UntypedSocket = Socket<
  Record<string, (...args: unknown[]) => void>,
  Record<string, (...args: unknown[]) => void>
>;

/**
 * A Socket.IO client of one gateway, as the SDK would be: typed events, acks as values, and a
 * record of everything the server pushed (batches decoded to RoomMessage[], directs, receipts,
 * kicks, online figures, failures) for the test to inspect.
 */
export class LiveClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly batches: ReceivedBatch[] = [];
  readonly droppedBatches: ReceivedBatch[] = [];
  readonly arrivals: Arrival[] = [];
  /** Arrivals and online figures interleaved as they came. */
  readonly timeline: TimelineEntry[] = [];
  readonly directs: RoomMessage[] = [];
  readonly receipts: Receipt[] = [];
  readonly kicked: KickedEvent[] = [];
  readonly roomClosed: KickedEvent[] = [];
  readonly online: OnlineInfo[] = [];
  readonly failures: FailureEvent[] = [];
  /** Messages this client acked (requireAck), by id. */
  readonly acked = new Set<string>();
  /** Anything the server sent that broke the contract (a test asserts it stays empty). */
  readonly violations: string[] = [];
  disconnectReason: string | undefined;
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: LiveClientOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.socket = io(options.url, {
      transports: options.transports ?? ['websocket'],
      auth: options.token === undefined ? {} : { token: options.token },
      reconnection: false,
      forceNew: true,
      timeout: 10_000,
    });
    this.socket.on('batch', (info, body) => this.onBatch(info, body));
    this.socket.on('direct', (message) => {
      const parsed = RoomMessage.safeParse(message);
      if (!parsed.success) {
        this.violations.push(`direct: ${parsed.error.message}`);
        return;
      }
      this.directs.push(parsed.data);
      this.arrive({ via: 'direct', message: parsed.data });
      this.maybeAck(parsed.data);
    });
    this.socket.on('receipt', (receipt) => this.receipts.push(receipt));
    this.socket.on('kicked', (event) => this.kicked.push(event));
    this.socket.on('roomClosed', (event) => this.roomClosed.push(event));
    this.socket.on('online', (info) => {
      this.online.push(info);
      this.timeline.push({ via: 'online', online: info });
    });
    this.socket.on('failure', (event) => this.failures.push(event));
    this.socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
    });
  }

  get id(): string | undefined {
    return this.socket.id;
  }

  get isConnected(): boolean {
    return this.socket.connected;
  }

  /** Resolves once connected; rejects with ConnectError when the handshake is refused. */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onConnect = (): void => {
        this.socket.off('connect_error', onError);
        resolve();
      };
      const onError = (error: Error & { data?: unknown }): void => {
        this.socket.off('connect', onConnect);
        const data = error.data as { code?: unknown } | undefined;
        reject(new ConnectError(error.message, typeof data?.code === 'string' ? data.code : undefined));
      };
      this.socket.once('connect', onConnect);
      this.socket.once('connect_error', onError);
    });
  }

  /** Emits a client event and returns its ack as a value (ok or a contract error). */
  request<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    timeoutMs = this.ackTimeoutMs,
  ): Promise<Ack<ClientEventResults[E]>> {
    return this.requestRaw(event, payload, timeoutMs) as Promise<Ack<ClientEventResults[E]>>;
  }

  /** Emits anything under any event name (malformed input) and returns whatever the ack carries. */
  requestRaw(event: string, payload: unknown, timeoutMs = this.ackTimeoutMs): Promise<unknown> {
    return (this.socket as unknown as UntypedSocket).timeout(timeoutMs).emitWithAck(event, payload);
  }

  /** Emits without an ack callback. */
  emitRaw(event: string, ...args: unknown[]): void {
    (this.socket as unknown as UntypedSocket).emit(event, ...args);
  }

  /** The ack's data, or AckError with its code. */
  async send<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    timeoutMs = this.ackTimeoutMs,
  ): Promise<ClientEventResults[E]> {
    const ack = await this.request(event, payload, timeoutMs);
    if (!ack.ok) throw new AckError(event, ack.error);
    return ack.data;
  }

  /** Messages of one room lane in arrival order (batches only: the room's broadcast). */
  messages(roomId: string, lane: Lane): RoomMessage[] {
    const out: RoomMessage[] = [];
    for (const batch of this.batches) {
      if (batch.info.roomId === roomId && batch.info.lane === lane) out.push(...batch.messages);
    }
    return out;
  }

  seqs(roomId: string, lane: Lane): number[] {
    return this.messages(roomId, lane).map((m) => m.seq);
  }

  /**
   * Each place where a room lane's seqs go backwards or repeat, with the two batches involved, so
   * a failing test shows what the gateway wrote: empty when the lane arrived in order.
   */
  outOfOrder(roomId: string, lane: Lane): string[] {
    const problems: string[] = [];
    let last = 0;
    let previous: ReceivedBatch | undefined;
    const describe = (b: ReceivedBatch | undefined): string =>
      b === undefined
        ? 'none'
        : `{first ${b.info.firstSeq}, last ${b.info.lastSeq}, count ${b.info.count}, seqs [${b.messages.map((m) => m.seq)}]}`;
    for (const batch of this.batches) {
      if (batch.info.roomId !== roomId || batch.info.lane !== lane) continue;
      for (const message of batch.messages) {
        if (message.seq <= last) {
          problems.push(
            `seq ${message.seq} after ${last}: batch ${describe(batch)} after ${describe(previous)}`,
          );
          break;
        }
        last = message.seq;
      }
      previous = batch;
    }
    return problems;
  }

  /** The highest seq of a room lane received so far (0 when none). */
  lastSeq(roomId: string, lane: Lane): number {
    let last = 0;
    for (const batch of this.batches) {
      if (batch.info.roomId === roomId && batch.info.lane === lane) last = Math.max(last, batch.info.lastSeq);
    }
    return last;
  }

  async waitForSeq(roomId: string, lane: Lane, seq: number, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.lastSeq(roomId, lane) >= seq, {
      timeoutMs,
      intervalMs: 20,
      what: `${lane} seq ${seq} of ${roomId} at client ${this.id ?? '?'} (at ${this.lastSeq(roomId, lane)})`,
    });
  }

  close(): void {
    this.socket.close();
  }

  private onBatch(info: BatchInfo, body: unknown): void {
    const parsedInfo = BatchInfo.safeParse(info);
    if (!parsedInfo.success) {
      this.violations.push(`batch info: ${parsedInfo.error.message}`);
      return;
    }
    let messages: RoomMessage[];
    try {
      if (typeof body !== 'string') throw new Error(`body is ${typeof body}, not JSON text`);
      messages = RoomMessage.array().parse(JSON.parse(body));
    } catch (error) {
      this.violations.push(`batch body: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (messages.length !== parsedInfo.data.count) {
      this.violations.push(`batch count ${parsedInfo.data.count} but ${messages.length} messages`);
    }
    const batch = { info: parsedInfo.data, messages, receivedAt: performance.now() };
    if (this.options.dropBatch?.(batch.info)) {
      this.droppedBatches.push(batch);
      return;
    }
    this.batches.push(batch);
    for (const message of messages) {
      this.arrive({ via: 'batch', message });
      this.maybeAck(message);
    }
  }

  private arrive(arrival: Arrival): void {
    this.arrivals.push(arrival);
    this.timeline.push(arrival);
  }

  private maybeAck(message: RoomMessage): void {
    // Acked on every delivery: a re-delivery means the gateway has not seen the earlier ack.
    if (!message.requireAck || this.options.autoAck === false) return;
    this.acked.add(message.id);
    this.socket.emit('ack', { messageId: message.id }, () => undefined);
  }
}
