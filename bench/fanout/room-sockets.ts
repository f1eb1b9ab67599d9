import type { Ack } from '@live-im/contracts';
import { loopbackSource } from '../shared/source-address';
import { WireSocket } from '../shared/wire-socket';

/*
 * The client side both servers speak: the same `join` / `chat` / `gift` events with the same
 * acknowledgement shape; ours delivers `batch` events, the plain server one `message` per message.
 * Viewers and senders are wire-level clients (wire-socket.ts) against both.
 */

const CONNECT_TIMEOUT_MS = 20_000;
/** Connections opened at once by one process: enough to be quick, few enough not to storm the server. */
const CONNECT_CONCURRENCY = 25;

async function join(socket: WireSocket, roomId: string): Promise<void> {
  const reply = (await socket.emitWithAck('join', { roomId }, CONNECT_TIMEOUT_MS)) as Ack<unknown>;
  if (!reply.ok) throw new Error(`join refused: ${reply.error.code} ${reply.error.message}`);
}

/**
 * Opens one socket per token (null: a guest) and joins each to the room; `prepare` runs on each
 * socket before it joins, so its listeners see the first message. Socket i leaves from
 * `loopbackSource(sourceBlock, i)`. Closes every opened socket if any fails.
 */
export async function openRoomSockets(
  url: string,
  roomId: string,
  tokens: Array<string | null>,
  sourceBlock: number,
  prepare: (socket: WireSocket, index: number) => void,
): Promise<WireSocket[]> {
  const sockets: WireSocket[] = [];
  try {
    for (let start = 0; start < tokens.length; start += CONNECT_CONCURRENCY) {
      const wave = tokens.slice(start, start + CONNECT_CONCURRENCY);
      await Promise.all(
        wave.map(async (token, offset) => {
          const index = start + offset;
          const socket = await WireSocket.connect(
            url,
            token === null ? {} : { token },
            CONNECT_TIMEOUT_MS,
            loopbackSource(sourceBlock, index),
          );
          sockets.push(socket);
          prepare(socket, index);
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
