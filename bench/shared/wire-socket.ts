import WebSocket from 'ws';

/**
 * A viewer's connection read at the wire: Socket.IO v5 over Engine.IO v4 on a plain `ws`
 * websocket, with only what a viewer needs (connect with auth, ping/pong, emit with an ack,
 * events in). socket.io-client decodes every packet as JSON, a batch's ~20 KB body included
 * (escaped inside the packet), and the SDK then parses that body again; with 1000 of them and the
 * servers on one 2-vCPU machine, the viewers took half of the CPU and became what the bench
 * measured. This client reads an event's name and first argument and keeps the rest as the raw
 * packet, which only probe viewers parse. It is bench code: one namespace, text packets only.
 */

/** Engine.IO packet types (first character of each websocket text frame). */
const ENGINE_OPEN = 0x30; // '0'
const ENGINE_CLOSE = 0x31; // '1'
const ENGINE_PING = 0x32; // '2'
const ENGINE_MESSAGE = 0x34; // '4'
/** Socket.IO packet types (second character of an Engine.IO message). */
const SIO_CONNECT = 0x30; // '0'
const SIO_DISCONNECT = 0x31; // '1'
const SIO_EVENT = 0x32; // '2'
const SIO_ACK = 0x33; // '3'
const SIO_CONNECT_ERROR = 0x34; // '4'

/** An event as it came: its name, its first argument (parsed), and the whole packet for probes. */
export interface WireEvent {
  name: string;
  first: unknown;
  /** The packet's JSON array bytes from `[` on: `JSON.parse(packet.toString())` gives [name, ...args]. */
  packet: Buffer;
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Splits `42["name",{...},...]` after its first argument without decoding what follows. The first
 * argument must be an object without nested objects (a batch's info is one); anything else is
 * decoded and parsed whole.
 */
export function readEvent(frame: Buffer, from: number): WireEvent {
  const nameEnd = frame.indexOf(QUOTE, from + 2);
  const name = frame.toString('utf8', from + 2, nameEnd);
  const argStart = nameEnd + 2;
  const packet = frame.subarray(from);
  if (frame[argStart] === OPEN_BRACE) {
    const argEnd = frame.indexOf(CLOSE_BRACE, argStart);
    const inner = frame.indexOf(OPEN_BRACE, argStart + 1);
    if (argEnd > 0 && (inner < 0 || inner > argEnd)) {
      return { name, first: JSON.parse(frame.toString('utf8', argStart, argEnd + 1)), packet };
    }
  }
  const all = JSON.parse(packet.toString('utf8')) as unknown[];
  return { name, first: all[1], packet };
}

export class WireSocket {
  /** Every websocket frame and its bytes received by the sockets of this process. */
  static readonly received = { frames: 0, bytes: 0 };
  private nextAckId = 1;
  private readonly acks = new Map<number, (args: unknown[]) => void>();
  private readonly handlers = new Map<string, (event: WireEvent) => void>();
  private onDisconnect: ((reason: string) => void) | undefined;
  private open = false;

  private constructor(private readonly ws: WebSocket) {}

  /**
   * Connects to `url` (http://host:port) and the main namespace with `auth`, or rejects;
   * `localAddress` picks the source address (see source-address.ts).
   */
  static connect(
    url: string,
    auth: Record<string, unknown>,
    timeoutMs: number,
    localAddress?: string,
  ): Promise<WireSocket> {
    const endpoint = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(endpoint, { perMessageDeflate: false, skipUTF8Validation: true, localAddress });
    const socket = new WireSocket(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      ws.on('error', fail);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        WireSocket.received.frames += 1;
        WireSocket.received.bytes += data.length;
        if (isBinary) return;
        const type = data[0];
        if (type === ENGINE_OPEN) {
          ws.send(`40${JSON.stringify(auth)}`);
        } else if (type === ENGINE_PING) {
          ws.send('3');
        } else if (type === ENGINE_CLOSE) {
          ws.close();
        } else if (type === ENGINE_MESSAGE) {
          const packet = data[1];
          if (packet === SIO_CONNECT && !socket.open) {
            clearTimeout(timer);
            ws.off('error', fail);
            ws.on('error', () => undefined);
            socket.open = true;
            resolve(socket);
          } else if (packet === SIO_CONNECT_ERROR) {
            fail(new Error(`connect refused: ${data.toString('utf8', 2)}`));
          } else {
            socket.onPacket(data, packet);
          }
        }
      });
      ws.on('close', () => {
        clearTimeout(timer);
        if (!socket.open) return reject(new Error('closed before connecting'));
        socket.open = false;
        socket.onDisconnect?.('transport close');
      });
    });
  }

  get connected(): boolean {
    return this.open;
  }

  on(name: string, handler: (event: WireEvent) => void): void {
    this.handlers.set(name, handler);
  }

  onClose(handler: (reason: string) => void): void {
    this.onDisconnect = handler;
  }

  /** Emits an event and resolves with the first argument of its ack. */
  emitWithAck(name: string, payload: unknown, timeoutMs: number): Promise<unknown> {
    const id = this.nextAckId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack for ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(id, (args) => {
        clearTimeout(timer);
        resolve(args[0]);
      });
      this.ws.send(`42${id}${JSON.stringify([name, payload])}`);
    });
  }

  close(): void {
    this.open = false;
    this.ws.terminate();
  }

  private onPacket(frame: Buffer, packet: number): void {
    if (packet === SIO_EVENT) {
      // Events from the server carry no ack id in this bench: `42[` follows at once.
      const event = readEvent(frame, 2);
      this.handlers.get(event.name)?.(event);
    } else if (packet === SIO_ACK) {
      const text = frame.toString('utf8');
      const start = text.indexOf('[', 2);
      const id = Number(text.slice(2, start));
      const settle = this.acks.get(id);
      if (settle === undefined) return;
      this.acks.delete(id);
      settle(JSON.parse(text.slice(start)) as unknown[]);
    } else if (packet === SIO_DISCONNECT) {
      this.open = false;
      this.ws.close();
      this.onDisconnect?.('io server disconnect');
    }
  }
}
