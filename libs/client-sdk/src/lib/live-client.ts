import {
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResults,
  ClientEventSchemas,
  ConnectLimitDetails,
  ErrorCode,
  HandshakeErrorData,
  isErrorCode,
  OnlineEvent,
  parseOrThrow,
  Receipt,
  RoomId,
  RoomMessage,
  BatchInfo,
} from '@live-im/contracts';
import { io } from 'socket.io-client';
import { z } from 'zod';
import { Backoff } from './backoff';
import { BoundedSet } from './bounded-set';
import { type ConnectOptionsInput, ConnectOptions, type ResolvedConnectOptions } from './connect-options';
import { GatewayConnection, type GatewaySocket } from './gateway-connection';
import { GatewayPicker } from './gateway-picker';
import { isTransient, LiveError } from './live-error';
import { ReceiptAcks } from './receipt-acks';
import type { RoomHandle } from './room-handle';
import { type CallOptions, type RetryPolicy, type RoomHost, RoomSession } from './room-session';
import { TypedEmitter } from './typed-emitter';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type ClientEventMap = {
  state: (state: ConnectionState) => void;
  /** Anything that went wrong outside a returned promise: refused handshakes, failed rejoins, malformed input. */
  error: (error: LiveError) => void;
};

/** Handshake refusals that another attempt cannot cure: the client stops and reports them. */
const FATAL_HANDSHAKE: ReadonlySet<string> = new Set([ErrorCode.UNAUTHENTICATED, ErrorCode.BANNED]);

/** A rejoin refused with one of these ends the room for this client; other refusals are retried. */
const FINAL_JOIN_REFUSAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.NOT_FOUND,
  ErrorCode.ROOM_CLOSED,
  ErrorCode.BANNED,
  ErrorCode.FORBIDDEN,
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.UNIMPLEMENTED,
]);

/** Pauses between retries of one request: short, since most causes (a worker restart) pass quickly. */
const RETRY_BACKOFF = { minDelayMs: 200, maxDelayMs: 2000, factor: 2, jitter: 0.5 };

/** Targeted message ids remembered to drop repeats. */
const SEEN_DIRECT_IDS = 2048;

const KickedPayload = z.object({ roomId: z.string(), reason: z.string() });
const FailurePayload = z.object({
  event: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

interface ConnectWaiter {
  resolve(connection: GatewayConnection): void;
  reject(error: LiveError): void;
}

/**
 * A client of live-im's gateways. It owns its reconnect loop (socket.io-client's own is off):
 * exponential backoff with jitter (the first delay too), each attempt after the first to a random
 * gateway other than the last one tried, rejoining every room with `resume` so nothing is missed
 * or repeated. Create it with `connect()`.
 */
export class LiveClient extends TypedEmitter<ClientEventMap> {
  readonly requestTimeoutMs: number;
  private readonly options: ResolvedConnectOptions;
  private readonly gateways: GatewayPicker;
  private token: string | undefined;
  private stateValue: ConnectionState = 'connecting';
  private socket: GatewaySocket | undefined;
  private current: GatewayConnection | undefined;
  private connectionCount = 0;
  private readonly reconnectBackoff: Backoff;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly connectWaiters = new Set<ConnectWaiter>();
  private readonly pauses = new Set<() => void>();
  private readonly sessions = new Map<string, RoomSession>();
  private readonly seenDirect = new BoundedSet<string>(SEEN_DIRECT_IDS);
  private readonly acks: ReceiptAcks;
  private readonly host: RoomHost;

  /** Use `connect()`. */
  constructor(options: ConnectOptionsInput) {
    super();
    this.options = parseOrLiveError(ConnectOptions, options);
    this.requestTimeoutMs = this.options.requestTimeoutMs;
    this.gateways = new GatewayPicker(
      typeof this.options.url === 'string' ? [this.options.url] : [...this.options.url],
    );
    this.token = this.options.token;
    this.reconnectBackoff = new Backoff(this.options.reconnect);
    this.acks = new ReceiptAcks((messageId) => this.sendAck(messageId));
    this.host = {
      requestTimeoutMs: this.requestTimeoutMs,
      call: (event, payload, callOptions) => this.call(event, payload, callOptions),
      delivered: (message) => this.acks.delivered(message),
      leave: (session) => this.leave(session),
      reportError: (error) => this.emit('error', error),
    };
    this.open();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The gateway URL of the current connection; undefined while not connected. */
  get url(): string | undefined {
    return this.current?.url;
  }

  /** Rooms joined or being joined. */
  get rooms(): RoomHandle[] {
    return [...this.sessions.values()].map((session) => session.handle);
  }

  /** A fresh token for the next (re)connection, e.g. before the current one expires. */
  setToken(token: string | undefined): void {
    this.token = parseOrLiveError(ConnectOptions.shape.token, token);
  }

  /**
   * Joins a room (or returns the handle when already in it). Resolves once the gateway admitted
   * the client; attach listeners in the same turn, the room's events start on the next one.
   */
  joinRoom(roomId: string): Promise<RoomHandle> {
    if (this.stateValue === 'closed') return Promise.reject(LiveError.closed());
    const checked = RoomId.safeParse(roomId);
    if (!checked.success) {
      return Promise.reject(
        new LiveError(
          ErrorCode.INVALID_ARGUMENT,
          `invalid roomId: ${checked.error.issues[0]?.message ?? 'bad'}`,
          {
            fields: [{ field: 'roomId', message: checked.error.issues[0]?.message ?? 'bad' }],
          },
        ),
      );
    }
    const existing = this.sessions.get(roomId);
    if (existing?.firstJoin !== undefined) return existing.firstJoin;
    const session = new RoomSession(roomId, this.host);
    this.sessions.set(roomId, session);
    session.firstJoin = this.firstJoin(session);
    return session.firstJoin;
  }

  /** Disconnects for good: no reconnect, every room handle finished, requests in flight fail. */
  close(): void {
    this.shutdown(LiveError.closed());
  }

  /** Closes with `closed` as the error of everything still waiting. */
  private shutdown(closed: LiveError): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    const connection = this.current;
    this.current = undefined;
    for (const session of this.sessions.values()) session.dispose(closed);
    this.sessions.clear();
    connection?.lost(closed);
    if (socket !== undefined) discard(socket);
    for (const waiter of [...this.connectWaiters]) waiter.reject(closed);
    this.connectWaiters.clear();
    for (const wake of [...this.pauses]) wake();
    this.pauses.clear();
    this.emit('state', 'closed');
  }

  private setState(state: ConnectionState): void {
    if (this.stateValue === state || this.stateValue === 'closed') return;
    this.stateValue = state;
    this.emit('state', state);
  }

  /** One connection attempt: the first URL first, later a random other one than the last tried. */
  private open(): void {
    if (this.stateValue === 'closed') return;
    const url = this.gateways.next();
    const socket: GatewaySocket = io(url, {
      reconnection: false,
      forceNew: true,
      transports: this.options.transports,
      tryAllTransports: this.options.transports.length > 1,
      timeout: this.requestTimeoutMs,
      auth: this.token === undefined ? {} : { token: this.token },
    });
    this.socket = socket;
    socket.on('connect', () => this.onConnect(socket, url));
    socket.on('connect_error', (error: Error) => this.onConnectError(socket, url, error));
    socket.on('disconnect', (reason: string) => this.onDisconnect(socket, reason));
    socket.on('batch', (info: unknown, body: unknown) => this.onBatch(socket, info, body));
    socket.on('direct', (message: unknown) => this.onDirect(socket, message));
    socket.on('online', (online: unknown) => {
      if (socket !== this.socket) return;
      const parsed = this.validated(OnlineEvent, online, 'online');
      if (parsed === undefined) return;
      const { seqs, ...figures } = parsed;
      const session = this.sessions.get(parsed.roomId);
      session?.onlineChanged(figures);
      if (seqs !== undefined) session?.beacon(seqs);
    });
    socket.on('receipt', (receipt: unknown) => {
      if (socket !== this.socket) return;
      const parsed = this.validated(Receipt, receipt, 'receipt');
      if (parsed !== undefined) this.sessions.get(parsed.roomId)?.receipt(parsed);
    });
    socket.on('kicked', (event: unknown) => {
      if (socket !== this.socket) return;
      const parsed = this.validated(KickedPayload, event, 'kicked');
      if (parsed === undefined) return;
      const session = this.sessions.get(parsed.roomId);
      if (session === undefined) return;
      this.sessions.delete(parsed.roomId);
      session.kicked(parsed);
    });
    socket.on('roomClosed', (event: unknown) => {
      if (socket !== this.socket) return;
      const parsed = this.validated(KickedPayload, event, 'roomClosed');
      if (parsed === undefined) return;
      const session = this.sessions.get(parsed.roomId);
      if (session === undefined) return;
      this.sessions.delete(parsed.roomId);
      session.closed(parsed);
    });
    socket.on('failure', (event: unknown) => {
      if (socket !== this.socket) return;
      const parsed = this.validated(FailurePayload, event, 'failure');
      if (parsed === undefined) return;
      const code = isErrorCode(parsed.code) ? parsed.code : ErrorCode.INTERNAL;
      this.emit('error', new LiveError(code, parsed.message, { ...parsed.details, event: parsed.event }));
    });
  }

  private onConnect(socket: GatewaySocket, url: string): void {
    if (socket !== this.socket || this.stateValue === 'closed') return;
    this.connectionCount += 1;
    const connection = new GatewayConnection(this.connectionCount, url, socket);
    this.current = connection;
    this.reconnectBackoff.reset();
    this.setState('connected');
    for (const waiter of [...this.connectWaiters]) waiter.resolve(connection);
    this.connectWaiters.clear();
    // Rooms joined before resume here; rooms still in their first join are driven by joinRoom.
    for (const session of this.sessions.values()) {
      if (session.everJoined && session.active) void this.rejoin(session, connection);
    }
  }

  private onConnectError(socket: GatewaySocket, url: string, error: Error): void {
    if (socket !== this.socket || this.stateValue === 'closed') return;
    this.socket = undefined;
    discard(socket);
    // A gateway's refusal carries HandshakeErrorData; a transport failure (no gateway there) has none.
    const refusal = HandshakeErrorData.safeParse((error as Error & { data?: unknown }).data);
    const data = refusal.success ? refusal.data : undefined;
    const code = data !== undefined && isErrorCode(data.code) ? data.code : ErrorCode.SERVICE_UNAVAILABLE;
    if (FATAL_HANDSHAKE.has(code)) {
      const fatal = new LiveError(code, `${url} refused the session: ${error.message}`, { url });
      this.emit('error', fatal);
      this.shutdown(fatal);
      return;
    }
    this.emit(
      'error',
      new LiveError(code, `cannot connect to ${url}: ${error.message}`, { ...data?.details, url }),
    );
    // A handshake limit of this address says when to come back; the next attempt waits at least that.
    const limit = ConnectLimitDetails.safeParse(data?.details);
    const retryAfterMs = limit.success ? (limit.data.retryAfterMs ?? 0) : 0;
    this.scheduleReconnect(Math.min(retryAfterMs, 60_000));
  }

  private onDisconnect(socket: GatewaySocket, reason: string): void {
    if (socket !== this.socket || this.stateValue === 'closed') return;
    this.socket = undefined;
    const connection = this.current;
    this.current = undefined;
    // Sessions first: requests failing below must find their room already waiting for the rejoin.
    for (const session of this.sessions.values()) session.connectionLost();
    connection?.lost(LiveError.connectionLost(`a request (${reason})`));
    discard(socket);
    this.setState('reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(atLeastMs = 0): void {
    if (this.stateValue === 'closed' || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(
      () => {
        this.reconnectTimer = undefined;
        this.open();
      },
      Math.max(atLeastMs, this.reconnectBackoff.next()),
    );
  }

  private onBatch(socket: GatewaySocket, info: unknown, body: unknown): void {
    if (socket !== this.socket) return;
    const parsed = this.validated(BatchInfo, info, 'batch');
    if (parsed !== undefined) this.sessions.get(parsed.roomId)?.batch(parsed, body);
  }

  private onDirect(socket: GatewaySocket, value: unknown): void {
    if (socket !== this.socket) return;
    const message = this.validated(RoomMessage, value, 'direct');
    if (message === undefined) return;
    const session = this.sessions.get(message.roomId);
    if (message.to === undefined) {
      // A room message again (a requireAck re-delivery): it has its room seq, the lane orders it.
      session?.roomMessage(message);
      return;
    }
    if (!this.seenDirect.add(message.id)) {
      // Seen before: the app does not get it twice, but an ack that was lost is sent again.
      this.acks.delivered(message);
      return;
    }
    session?.targeted(message);
  }

  private validated<T>(schema: z.ZodType<T>, value: unknown, event: string): T | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    this.emit(
      'error',
      new LiveError(
        ErrorCode.INTERNAL,
        `malformed ${event} event from the gateway: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        {
          event,
        },
      ),
    );
    return undefined;
  }

  /** Resolves with the live connection, waiting for one at most `timeoutMs`. */
  private whenConnected(timeoutMs: number, what: string): Promise<GatewayConnection> {
    if (this.stateValue === 'closed') return Promise.reject(LiveError.closed());
    if (this.current?.open) return Promise.resolve(this.current);
    return new Promise<GatewayConnection>((resolve, reject) => {
      const waiter: ConnectWaiter = {
        resolve: (connection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.connectWaiters.delete(waiter);
        reject(LiveError.notConnected(what, timeoutMs));
      }, timeoutMs);
      this.connectWaiters.add(waiter);
    });
  }

  /** Waits `ms`, or less when the client closes meanwhile. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.pauses.add(wake);
    });
  }

  /** A request validated against its contract, sent when possible, retried as its policy allows. */
  private async call<E extends ClientEventName>(
    event: E,
    payload: ClientEventPayload<E>,
    options: CallOptions,
  ): Promise<ClientEventResults[E]> {
    parseOrLiveError(ClientEventSchemas[event], payload);
    const delays = new Backoff(RETRY_BACKOFF);
    for (let attempt = 0; ; attempt += 1) {
      if (this.stateValue === 'closed') throw LiveError.closed();
      // Waiting the whole deadline for a connection (or the room's rejoin) is not retried.
      const connection =
        options.roomId === undefined
          ? await this.whenConnected(this.requestTimeoutMs, event)
          : await this.sessionOf(options.roomId).whenJoined(this.requestTimeoutMs, event);
      try {
        return await connection.request(event, payload, this.requestTimeoutMs);
      } catch (caught) {
        const error = LiveError.from(caught);
        if (attempt >= this.options.sendRetries || !this.mayRetry(error, options.retry)) throw error;
        await this.pause(delays.next());
      }
    }
  }

  private mayRetry(error: LiveError, policy: RetryPolicy): boolean {
    if (this.stateValue === 'closed' || error.clientClosed) return false;
    if (policy === 'transient') return isTransient(error);
    if (policy === 'unsent')
      return error.notSent || (error.code === ErrorCode.SERVICE_UNAVAILABLE && !error.connectionLost);
    return false;
  }

  private sessionOf(roomId: string): RoomSession {
    const session = this.sessions.get(roomId);
    if (session === undefined) {
      throw new LiveError(ErrorCode.FORBIDDEN, `not in room ${roomId}; join it first`, { roomId });
    }
    return session;
  }

  private async firstJoin(session: RoomSession): Promise<RoomHandle> {
    const { roomId } = session;
    const delays = new Backoff(RETRY_BACKOFF);
    for (let attempt = 0; ; attempt += 1) {
      // Waiting the whole deadline for a connection is not retried.
      const connection = await this.whenConnected(this.requestTimeoutMs, `joining ${roomId}`).catch(
        (error: unknown) => {
          if (this.sessions.get(roomId) === session) this.sessions.delete(roomId);
          session.dispose(LiveError.from(error));
          throw error;
        },
      );
      try {
        this.requireSession(session);
        session.beginJoin();
        const result = await connection.request('join', { roomId }, this.requestTimeoutMs);
        if (this.sessions.get(roomId) !== session) {
          // Left while the join was answered: undo it at the gateway too.
          if (connection.open)
            void connection.request('leave', { roomId }, this.requestTimeoutMs).catch(() => undefined);
          throw new LiveError(ErrorCode.FORBIDDEN, `left ${roomId} while joining it`, { roomId });
        }
        if (this.current !== connection) throw LiveError.connectionLost(`joining ${roomId}`);
        session.applyJoin(result, connection, false);
        session.openSoon();
        return session.handle;
      } catch (caught) {
        const error = LiveError.from(caught);
        const retry =
          this.sessions.get(roomId) === session && attempt < this.options.sendRetries && isTransient(error);
        if (!retry) {
          if (this.sessions.get(roomId) === session) this.sessions.delete(roomId);
          session.dispose(error);
          throw error;
        }
        await this.pause(delays.next());
      }
    }
  }

  private requireSession(session: RoomSession): void {
    if (this.sessions.get(session.roomId) !== session) {
      throw new LiveError(ErrorCode.FORBIDDEN, `left ${session.roomId} while joining it`, {
        roomId: session.roomId,
      });
    }
  }

  /** After a reconnect: joins again from where each lane stands, retrying until it works or is refused for good. */
  private async rejoin(session: RoomSession, connection: GatewayConnection): Promise<void> {
    const { roomId } = session;
    const delays = new Backoff(this.options.reconnect);
    session.beginJoin();
    while (this.current === connection && this.sessions.get(roomId) === session) {
      try {
        const result = await connection.request(
          'join',
          { roomId, resume: session.resumePoint() },
          this.requestTimeoutMs,
        );
        if (this.current !== connection || this.sessions.get(roomId) !== session) return;
        session.applyJoin(result, connection, true);
        return;
      } catch (caught) {
        const error = LiveError.from(caught);
        if (error.connectionLost || error.clientClosed || error.notSent || this.current !== connection)
          return;
        if (FINAL_JOIN_REFUSAL.has(error.code)) {
          if (this.sessions.get(roomId) === session) this.sessions.delete(roomId);
          if (error.code === ErrorCode.BANNED) session.kicked({ roomId, reason: error.message });
          else session.closed({ roomId, reason: error.message, code: error.code });
          return;
        }
        this.emit(
          'error',
          new LiveError(error.code, `rejoining ${roomId} failed: ${error.message}`, {
            ...error.details,
            roomId,
          }),
        );
        await this.pause(delays.next());
      }
    }
  }

  private async leave(session: RoomSession): Promise<void> {
    const { roomId } = session;
    if (this.sessions.get(roomId) !== session) return;
    this.sessions.delete(roomId);
    session.dispose(new LiveError(ErrorCode.FORBIDDEN, `left ${roomId}`, { roomId }));
    const connection = this.current;
    if (connection === undefined || !connection.open) return;
    try {
      await connection.request('leave', { roomId }, this.requestTimeoutMs);
    } catch (caught) {
      const error = LiveError.from(caught);
      // Gone with the connection is gone from the room too; anything else is worth knowing.
      if (!error.connectionLost && !error.clientClosed && !error.notSent) {
        this.emit(
          'error',
          new LiveError(error.code, `leaving ${roomId}: ${error.message}`, { ...error.details, roomId }),
        );
      }
    }
  }

  private sendAck(messageId: string): Promise<unknown> {
    const connection = this.current;
    if (connection === undefined || !connection.open) return Promise.reject(LiveError.connectionLost('ack'));
    return connection.request('ack', { messageId }, this.requestTimeoutMs);
  }
}

/** Opens a client: it connects at once and keeps itself connected until `close()`. */
export function connect(options: ConnectOptionsInput): LiveClient {
  return new LiveClient(options);
}

function parseOrLiveError<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  try {
    return parseOrThrow(schema, value);
  } catch (error) {
    throw LiveError.from(error);
  }
}

/** Forgets a socket for good: no more events from it, its transport closed. */
function discard(socket: GatewaySocket): void {
  socket.removeAllListeners();
  socket.disconnect();
}
