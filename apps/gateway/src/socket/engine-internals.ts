import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import type { GatewayServer, GatewaySocket } from './socket-types';

/*
 * The one place that reads engine.io's and ws's private state (engine.io 6.6, ws 8). The gateway
 * writes room-wide frames straight to a websocket's TCP socket (socket-writer.ts) and measures a
 * socket's backlog in bytes; both need fields neither library types as public. Each field used is
 * named here, and engine-internals.spec.ts fails if an upgrade renames or changes one of them.
 *
 * engine.io Socket (`socket.conn`):
 *   readyState  'opening' | 'open' | 'closing' | 'closed'
 *   upgrading   true while a polling socket probes its websocket upgrade
 *   writeBuffer packets queued by sendPacket and not yet handed to the transport; flush() hands
 *               the whole buffer over as soon as the transport is writable
 *   transport   { name: 'polling' | 'websocket'; socket: the ws WebSocket (websocket only) }
 * engine.io WebSocketResponse (the `res` its middlewares get for a websocket upgrade):
 *   req         the upgrade request, read only by the upgrade's middlewares
 * socket.io Socket:
 *   _anyListeners  the onAny listeners, an array read (and copied) per incoming event
 * ws WebSocket (`transport.socket`):
 *   readyState  1 (OPEN) while frames may be sent; terminate() (public) destroys the socket
 *   _socket     the net.Socket its frames are written to (Sender.sendFrame writes there at once
 *               when not deflating: perMessageDeflate is off on the gateway)
 *   _sender     { _state: 0 (DEFAULT) when nothing is being deflated or read from a Blob;
 *                 _queue: frames waiting for that; _bufferedBytes: their size }
 */

/** What an engine.io packet in the write buffer holds (a string, or binary data). */
interface EnginePacket {
  data?: string | ArrayBufferLike | ArrayBufferView;
}

interface WsSender {
  _state: number;
  _queue: unknown[];
  _bufferedBytes: number;
}

interface WsSocket {
  readyState: number;
  _socket: NetSocket | null;
  _sender: WsSender | null;
  terminate(): void;
}

interface EngineSocket {
  readyState: string;
  upgrading: boolean;
  writeBuffer: EnginePacket[];
  transport: { name: string; socket?: WsSocket };
}

/** ws's WebSocket.OPEN. */
const WS_OPEN = 1;
/** ws Sender's state when frames go straight to the socket. */
const SENDER_DEFAULT = 0;
/** A packet's bytes past its data: type digit and framing, about. */
const PACKET_OVERHEAD_BYTES = 4;

function engineOf(socket: GatewaySocket): EngineSocket {
  return socket.conn as unknown as EngineSocket;
}

/**
 * The TCP socket a room-wide frame may be written to directly, or undefined when it must go through
 * socket.io's emit: only while the engine.io socket is open on the websocket transport with
 * nothing in its own write buffer (so every packet emitted before is already in the TCP socket,
 * and order holds) and ws sends frames straight through (nothing deflating or queued). Pings,
 * pongs, drains and closing stay engine.io's: its later packets go through ws to the same TCP
 * socket, after what was written here.
 */
export function directSocketOf(socket: GatewaySocket): NetSocket | undefined {
  return directOfEngine(engineOf(socket));
}

/** What probeDirect saw of a socket besides its backlog; reused by the caller so the hot loop allocates nothing. */
export interface DirectProbe {
  /** The TCP socket to write the room-wide frame to, or undefined: through socket.io's emit. */
  raw: NetSocket | undefined;
  /** The TCP socket holds bytes its kernel refused: the kernel's bounded send queue is full as well. */
  kernelFull: boolean;
}

/**
 * directSocketOf and backlogBytes in one look at engine.io's state, for the hot loop of a
 * room-wide write: what it saw in `out`, the backlog as the result. A socket that may be written
 * directly has nothing queued in engine.io or ws, so its backlog is its TCP socket's user-space
 * buffer alone.
 */
export function probeDirect(socket: GatewaySocket, out: DirectProbe): number {
  const engine = engineOf(socket);
  const raw = directOfEngine(engine);
  out.raw = raw;
  if (raw === undefined) return backlogOfEngine(engine, out);
  const refused = raw.writableLength;
  out.kernelFull = refused > 0;
  return refused;
}

function directOfEngine(engine: EngineSocket): NetSocket | undefined {
  if (engine.readyState !== 'open' || engine.upgrading || engine.writeBuffer.length !== 0) return undefined;
  const transport = engine.transport;
  if (transport.name !== 'websocket') return undefined;
  const ws = transport.socket;
  if (ws === undefined || ws.readyState !== WS_OPEN) return undefined;
  const sender = ws._sender;
  if (sender === null || sender._state !== SENDER_DEFAULT || sender._queue.length !== 0) return undefined;
  const raw = ws._socket;
  if (raw === null || !raw.writable) return undefined;
  return raw;
}

/**
 * Bytes the gateway holds for the socket that the kernel has not taken yet: the TCP socket's
 * user-space buffer (what the kernel's bounded send buffer did not accept), what ws holds back,
 * and the packets engine.io keeps in its write buffer (a polling socket's between two polls).
 */
export function backlogBytes(socket: GatewaySocket): number {
  return backlogOfEngine(engineOf(socket), { raw: undefined, kernelFull: false });
}

function backlogOfEngine(engine: EngineSocket, out: DirectProbe): number {
  let bytes = 0;
  for (const packet of engine.writeBuffer) bytes += packetBytes(packet);
  const ws = engine.transport.socket;
  const refused = ws?._socket?.writableLength ?? 0;
  out.kernelFull = refused > 0;
  if (ws !== undefined) {
    bytes += refused;
    bytes += ws._sender?._bufferedBytes ?? 0;
  }
  return bytes;
}

function packetBytes(packet: EnginePacket): number {
  const data = packet.data;
  if (data === undefined) return PACKET_OVERHEAD_BYTES;
  // A string's UTF-16 length: bytes for the ASCII that batches are almost all made of.
  if (typeof data === 'string') return data.length + PACKET_OVERHEAD_BYTES;
  return data.byteLength + PACKET_OVERHEAD_BYTES;
}

/**
 * socket.onAny(listener) for a socket that has no such listener yet, with an array of exactly one
 * element: onAny pushes onto an empty array, which V8 grows to 17 slots (about 150 bytes per
 * connection for nothing).
 */
export function listenToEveryEvent(
  socket: GatewaySocket,
  listener: (this: GatewaySocket, event: unknown, ...args: unknown[]) => void,
): void {
  const listeners = socket as unknown as { _anyListeners?: unknown[] };
  if (listeners._anyListeners === undefined) listeners._anyListeners = [listener];
  else socket.onAny(listener);
}

/**
 * Lets a websocket upgrade's response object (engine.io's WebSocketResponse, the `res` its
 * middlewares get) drop the upgrade request once the middlewares are done: the object lives as
 * long as the TCP socket (a 'close' listener holds it) and would keep the request, about a
 * kilobyte per idle connection (an IncomingMessage with its stream state, raw headers and
 * listeners), for nothing. An engine.io middleware (public API) registered last, so that no
 * middleware after it reads the request through `res`; past the middlewares engine.io reads
 * the request from its own variable. Long-polling's plain HTTP responses end with their request.
 */
export function releaseUpgradeRequests(io: GatewayServer): void {
  io.engine.use((_req: IncomingMessage, res: unknown, next: () => void) => {
    if (!(res instanceof ServerResponse) && typeof res === 'object' && res !== null && 'req' in res)
      (res as { req: unknown }).req = null;
    next();
  });
}

/**
 * Lets go of the HTTP request that opened the connection, which engine.io keeps as `conn.request`
 * (socket.io's `socket.request`) for the connection's life: Socket.IO's own memory advice (docs
 * "Memory usage"). Called once the socket is connected: its `handshake` (headers, address, query,
 * auth) was built from the request already and stays, and nothing in the gateway reads the
 * request afterwards.
 */
export function releaseFirstRequest(socket: GatewaySocket): void {
  (socket.conn as unknown as { request: IncomingMessage | null }).request = null;
}

/** The transport's name: 'websocket' or 'polling'. */
export function transportOf(socket: GatewaySocket): string {
  return engineOf(socket).transport.name;
}

/**
 * Closes the connection at the transport, without a Socket.IO disconnect packet, discarding what
 * is queued for it: the client sees a lost connection and reconnects (and resumes) by itself. A
 * websocket is destroyed at once (ws's terminate): a close frame would wait behind the very
 * backlog the client is not reading.
 */
export function dropTransport(socket: GatewaySocket): void {
  const ws = engineOf(socket).transport.socket;
  if (ws !== undefined) ws.terminate();
  else socket.conn.close(true);
}
