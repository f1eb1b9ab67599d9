import { io, Socket } from 'socket.io-client';
import type { Ack, BatchInfo, RoomMessage } from '@live-im/contracts';

/**
 * The client side both servers speak: the same `join` / `chat` / `gift` events with the same
 * acknowledgement shape; ours delivers `batch` events, the plain server one `message` per message.
 */
export interface BenchServerEvents {
  batch: (info: BatchInfo, body: string) => void;
  message: (message: RoomMessage) => void;
}

export interface BenchClientEvents {
  join: (payload: { roomId: string }, ack: (reply: Ack<unknown>) => void) => void;
  chat: (
    payload: { roomId: string; text: string; clientMsgId: string },
    ack: (reply: Ack<unknown>) => void,
  ) => void;
  gift: (
    payload: { roomId: string; giftId: string; count: number; clientMsgId: string },
    ack: (reply: Ack<unknown>) => void,
  ) => void;
}

export type BenchSocket = Socket<BenchServerEvents, BenchClientEvents>;

const CONNECT_TIMEOUT_MS = 20_000;
/** Connections opened at once by one process: enough to be quick, few enough not to storm the server. */
const CONNECT_CONCURRENCY = 25;

/** A websocket-only connection of its own (no multiplexing, no reconnection: a drop is counted, not hidden). */
function connect(url: string, token: string | null): Promise<BenchSocket> {
  const socket: BenchSocket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
    auth: token === null ? {} : { token },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: unknown }) => {
      socket.close();
      reject(new Error(`connect failed: ${error.message} ${JSON.stringify(error.data ?? '')}`));
    });
  });
}

async function join(socket: BenchSocket, roomId: string): Promise<void> {
  const reply = await socket.timeout(CONNECT_TIMEOUT_MS).emitWithAck('join', { roomId });
  if (!reply.ok) throw new Error(`join refused: ${reply.error.code} ${reply.error.message}`);
}

/**
 * Opens one socket per token and joins each to the room; `prepare` runs on each socket before it
 * joins, so its listeners see the first message. Closes every opened socket if any fails.
 */
export async function openRoomSockets(
  url: string,
  roomId: string,
  tokens: Array<string | null>,
  prepare: (socket: BenchSocket, index: number) => void,
): Promise<BenchSocket[]> {
  const sockets: BenchSocket[] = [];
  try {
    for (let start = 0; start < tokens.length; start += CONNECT_CONCURRENCY) {
      const wave = tokens.slice(start, start + CONNECT_CONCURRENCY);
      await Promise.all(
        wave.map(async (token, offset) => {
          const socket = await connect(url, token);
          sockets.push(socket);
          prepare(socket, start + offset);
          await join(socket, roomId);
        }),
      );
    }
    return sockets;
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
