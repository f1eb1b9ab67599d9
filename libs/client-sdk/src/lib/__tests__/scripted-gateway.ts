import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Ack, ClientEventName, ConnectLimitDetails, HandshakeErrorData } from '@live-im/contracts';
import { Server, type Socket } from 'socket.io';

export type Reply = Ack<unknown> | undefined;
/** Answers one client event; undefined = never answer (the client times out). */
export type EventHandler = (socket: Socket, payload: Record<string, unknown>) => Reply | Promise<Reply>;

/**
 * A real Socket.IO server on a loopback port, scripted by the test, standing in for a gateway so
 * the SDK's client is tested against real sockets: every client event is recorded and answered by
 * the test's handler for it.
 */
export class ScriptedGateway {
  readonly received: Array<{ event: string; payload: Record<string, unknown>; socketId: string }> = [];
  readonly handlers: Partial<Record<ClientEventName, EventHandler>> = {};
  /** Runs right after an event's ack is written, in the same turn (what the gateway sends next). */
  readonly afterAck: Partial<Record<ClientEventName, (socket: Socket) => void>> = {};
  /** When each handshake arrived (ms, performance.now()), and the URL of this gateway. */
  readonly handshakeTimes: number[] = [];
  readonly sockets: Socket[] = [];
  handshakes = 0;
  /** Refuses handshakes with this contract code when set (and these details). */
  refuseWith: string | undefined;
  refuseDetails: ConnectLimitDetails | undefined;

  private constructor(
    readonly io: Server,
    private readonly http: HttpServer,
    readonly url: string,
  ) {
    io.use((_socket, next) => {
      this.handshakes += 1;
      this.handshakeTimes.push(performance.now());
      if (this.refuseWith === undefined) return next();
      const data: HandshakeErrorData = { code: this.refuseWith, details: this.refuseDetails };
      next(Object.assign(new Error('refused'), { data }));
    });
    io.on('connection', (socket) => {
      this.sockets.push(socket);
      socket.onAny((event: string, payload: Record<string, unknown>, ack?: (reply: unknown) => void) => {
        this.received.push({ event, payload, socketId: socket.id });
        const handler = this.handlers[event as ClientEventName];
        const answer = handler ? handler(socket, payload) : { ok: true, data: payload };
        void Promise.resolve(answer).then((reply) => {
          if (reply === undefined) return;
          ack?.(reply);
          this.afterAck[event as ClientEventName]?.(socket);
        });
      });
    });
  }

  static async start(): Promise<ScriptedGateway> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket', 'polling'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return new ScriptedGateway(io, http, `http://127.0.0.1:${port}`);
  }

  /** The payloads of one event, in order. */
  payloads(event: string): Array<Record<string, unknown>> {
    return this.received.filter((r) => r.event === event).map((r) => r.payload);
  }

  get connected(): Socket[] {
    return this.sockets.filter((s) => s.connected);
  }

  /** Drops every connection at the transport, as a dying gateway would. */
  dropAll(): void {
    for (const socket of this.connected) socket.conn.close();
  }

  async close(): Promise<void> {
    await this.io.close();
    this.http.closeAllConnections?.();
  }
}
