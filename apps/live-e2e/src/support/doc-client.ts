import { waitFor } from '@live-im/testing';
import { io, type Socket } from 'socket.io-client';

/*
 * A client of the gateway written from docs/socket-protocol.md alone: raw socket.io-client, the
 * types as the page states them, no import of the SDK or of the contracts. If it needs something
 * the page does not say, the page is incomplete.
 */

export type Lane = 'normal' | 'important';

export interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type AckReply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export interface Message {
  id: string;
  roomId: string;
  lane: Lane;
  seq: number;
  type: string;
  from: { userId: string; nickname: string; level: number };
  body: Record<string, unknown>;
  ts: number;
  clientMsgId?: string;
  to?: string[];
  requireAck?: boolean;
}

export interface BatchInfo {
  roomId: string;
  lane: Lane;
  firstSeq: number;
  lastSeq: number;
  count: number;
}

export interface LaneSeqs {
  normal: number;
  important: number;
}

export interface JoinData {
  room: { roomId: string; status: string; createdAt: number };
  online: { roomId: string; count: number; peak: number; viewersEver: number };
  seqs: LaneSeqs;
  recent: Record<Lane, Message[]>;
  missed: (Record<Lane, Message[]> & { complete: boolean }) | null;
}

export interface SendData {
  messageId: string;
  lane: Lane;
  seq: number;
  duplicate: boolean;
}

export interface HistoryData {
  roomId: string;
  lane: Lane;
  messages: Message[];
  latestSeq: number;
  oldestSeq: number;
}

/** A refused handshake: `connect_error`'s message and data. */
export interface Refusal {
  message: string;
  data: { code: string; details?: Record<string, unknown> };
}

export interface DocClientOptions {
  token?: string;
  /** Connect from this loopback address (127.0.0.x): the gateway sees another client address. */
  localAddress?: string;
  /** A batch for which this returns true is thrown away, as if the network lost it. */
  dropBatch?: (info: BatchInfo) => boolean;
}

const LANES: readonly Lane[] = ['important', 'normal'];

/** One socket to one gateway, recording everything in the order it arrived. */
export class DocClient {
  readonly socket: Socket;
  /** What arrived, in order: `ack join <room>`, `batch <room> <lane> <first>-<last>`, `failure <event>`. */
  readonly log: string[] = [];
  readonly failures: Array<{ event: string | null } & ErrorBody> = [];
  private readonly rooms = new Map<string, DocRoom>();

  constructor(
    url: string,
    private readonly options: DocClientOptions = {},
  ) {
    this.socket = io(url, {
      transports: ['websocket'],
      auth: options.token === undefined ? {} : { token: options.token },
      reconnection: false,
      forceNew: true,
      localAddress: options.localAddress,
    } as Parameters<typeof io>[1]);
    this.socket.on('batch', (info: BatchInfo, body: string) => {
      this.log.push(`batch ${info.roomId} ${info.lane} ${info.firstSeq}-${info.lastSeq}`);
      if (this.options.dropBatch?.(info)) return;
      this.rooms.get(info.roomId)?.batch(info, JSON.parse(body) as Message[]);
    });
    this.socket.on('failure', (failure: { event: string | null } & ErrorBody) => {
      this.log.push(`failure ${failure.event ?? ''}`);
      this.failures.push(failure);
    });
  }

  /** Resolves when connected; rejects with the Refusal when the handshake is refused. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (error: Error & { data?: Refusal['data'] }) =>
        reject({ message: error.message, data: error.data } as Refusal),
      );
    });
  }

  /** The refusal of a handshake expected to be refused. */
  async refusal(): Promise<Refusal> {
    try {
      await this.connected();
    } catch (refusal) {
      return refusal as Refusal;
    }
    throw new Error('the handshake was accepted');
  }

  /** An event with its ack callback; the ack's reply as a value. */
  request<T>(event: string, payload: unknown, timeoutMs = 10_000): Promise<AckReply<T>> {
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event, payload, (error: Error | null, reply: AckReply<T>) => {
        if (error) reject(new Error(`no ack to ${event} within ${timeoutMs} ms`));
        else resolve(reply);
      });
    });
  }

  /** The ack's data; throws with the error code otherwise. */
  async send<T>(event: string, payload: unknown): Promise<T> {
    const reply = await this.request<T>(event, payload);
    if (!reply.ok) throw new Error(`${event} answered ${reply.error.code}: ${reply.error.message}`);
    return reply.data;
  }

  /** Emits an event without an ack callback. */
  emitWithoutAck(event: string, payload: unknown): void {
    this.socket.emit(event, payload);
  }

  /** A room followed as the page's "Joining, resuming and gap fill" says. */
  room(roomId: string): DocRoom {
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = new DocRoom(this, roomId);
      this.rooms.set(roomId, room);
    }
    return room;
  }

  close(): void {
    this.socket.close();
  }
}

/** One room's lanes: cursors, delivered messages in order, gaps filled with `history`. */
export class DocRoom {
  readonly delivered: Record<Lane, Message[]> = { normal: [], important: [] };
  readonly cursor: LaneSeqs = { normal: 0, important: 0 };
  /** Gaps seen and how each was filled. */
  readonly gaps: Array<{ lane: Lane; from: number; to: number; filled: number }> = [];
  joinData: JoinData | undefined;
  private joined = false;
  private readonly early: Array<{ info: BatchInfo; messages: Message[] }> = [];
  private readonly pending: Record<Lane, Array<{ info: BatchInfo; messages: Message[] }>> = {
    normal: [],
    important: [],
  };
  private readonly filling: Record<Lane, boolean> = { normal: false, important: false };

  constructor(
    private readonly client: DocClient,
    readonly roomId: string,
  ) {}

  /** join, resuming from `resume` (the lanes' cursors of an earlier connection) when given. */
  join(resume?: LaneSeqs): Promise<AckReply<JoinData>> {
    this.joined = false;
    if (resume !== undefined) Object.assign(this.cursor, resume);
    const payload =
      resume === undefined
        ? { roomId: this.roomId }
        : { roomId: this.roomId, resume: { normalSeq: resume.normal, importantSeq: resume.important } };
    return new Promise((resolve, reject) => {
      this.client.socket
        .timeout(10_000)
        .emit('join', payload, (error: Error | null, reply: AckReply<JoinData>) => {
          if (error) return reject(new Error('no ack to join within 10 s'));
          this.client.log.push(`ack join ${this.roomId}`);
          if (reply.ok) this.applyJoin(reply.data);
          resolve(reply);
        });
    });
  }

  seqs(lane: Lane): number[] {
    return this.delivered[lane].map((m) => m.seq);
  }

  batch(info: BatchInfo, messages: Message[]): void {
    if (!this.joined) {
      this.early.push({ info, messages });
      return;
    }
    this.pending[info.lane].push({ info, messages });
    this.drain(info.lane);
  }

  private applyJoin(data: JoinData): void {
    this.joinData = data;
    for (const lane of LANES) {
      for (const message of data.missed?.[lane] ?? []) this.deliver(message);
      this.cursor[lane] = data.seqs[lane];
    }
    this.joined = true;
    for (const { info, messages } of this.early.splice(0)) this.batch(info, messages);
  }

  private deliver(message: Message): void {
    if (message.seq <= this.cursor[message.lane]) return;
    this.delivered[message.lane].push(message);
    this.cursor[message.lane] = message.seq;
  }

  private drain(lane: Lane): void {
    while (!this.filling[lane]) {
      const next = this.pending[lane].shift();
      if (next === undefined) return;
      const { info, messages } = next;
      if (info.lastSeq <= this.cursor[lane]) continue;
      if (info.firstSeq > this.cursor[lane] + 1) {
        this.pending[lane].unshift(next);
        void this.fill(lane, info.firstSeq - 1);
        return;
      }
      for (const message of messages) this.deliver(message);
      this.cursor[lane] = Math.max(this.cursor[lane], info.lastSeq);
    }
  }

  /** Pulls `cursor + 1 .. through` with history, then goes on with the held batches. */
  private async fill(lane: Lane, through: number): Promise<void> {
    this.filling[lane] = true;
    const from = this.cursor[lane] + 1;
    let filled = 0;
    try {
      while (this.cursor[lane] < through) {
        const page = await this.client.send<HistoryData>('history', {
          roomId: this.roomId,
          lane,
          afterSeq: this.cursor[lane],
          limit: Math.min(200, through - this.cursor[lane]),
        });
        const wanted = page.messages.filter((m) => m.seq <= through);
        if (wanted.length === 0) break;
        for (const message of wanted) this.deliver(message);
        filled += wanted.length;
      }
    } finally {
      this.gaps.push({ lane, from, to: through, filled });
      this.cursor[lane] = Math.max(this.cursor[lane], through);
      this.filling[lane] = false;
      this.drain(lane);
    }
  }
}

/** Waits until a room lane's cursor reaches `seq`. */
export async function waitForCursor(
  room: DocRoom,
  lane: Lane,
  seq: number,
  timeoutMs = 15_000,
): Promise<void> {
  await waitFor(() => room.cursor[lane] >= seq, {
    timeoutMs,
    intervalMs: 20,
    what: `${lane} seq ${seq} of ${room.roomId} (at ${room.cursor[lane]})`,
  });
}
