import { io, type Socket } from 'socket.io-client';

/**
 * One process of idle viewers for bench/conn-memory: connects `count` WebSocket clients to `url`
 * from `localAddress` (a loopback address of its own, so the gateway's per-address cap is never
 * what is measured), each joins `roomId` and then only answers pings. Tells the parent
 * `{ joined }` once every one is in, or `{ error }`, and stays until killed.
 */
interface Order {
  url: string;
  roomId: string;
  count: number;
  localAddress: string;
}

function parseOrder(raw: string | undefined): Order {
  const order = JSON.parse(raw ?? '') as Partial<Order>;
  if (typeof order.url !== 'string' || typeof order.roomId !== 'string') throw new Error('bad order');
  if (typeof order.count !== 'number' || typeof order.localAddress !== 'string') throw new Error('bad order');
  return order as Order;
}

/** The wait a refused handshake names (the gateway's per-address connect rate), if any. */
function retryAfterMs(error: unknown): number | undefined {
  const data = (error as { data?: { details?: { retryAfterMs?: unknown }; retryAfterMs?: unknown } }).data;
  const wait = data?.details?.retryAfterMs ?? data?.retryAfterMs;
  return typeof wait === 'number' ? wait : undefined;
}

/** Joins one viewer, waiting as told and trying again when the gateway refuses for its connect rate. */
async function joinOne(order: Order): Promise<Socket> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await tryJoinOne(order);
    } catch (error) {
      const wait = retryAfterMs(error);
      if (wait === undefined || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function tryJoinOne(order: Order): Promise<Socket> {
  const socket = io(order.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress: order.localAddress,
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
    socket.once('connect', () => {
      socket.emit('join', { roomId: order.roomId }, (reply: { ok: boolean; error?: { code: string } }) => {
        if (reply.ok) resolve(socket);
        else reject(new Error(`join refused: ${reply.error?.code ?? 'unknown'}`));
      });
    });
  });
}

async function main(): Promise<void> {
  const order = parseOrder(process.env['CONN_MEMORY_ORDER']);
  const sockets: Socket[] = [];
  // A few at a time: a burst of thousands of handshakes would measure the handshake, not idling.
  const PARALLEL = 50;
  for (let i = 0; i < order.count; i += PARALLEL) {
    const batch = Math.min(PARALLEL, order.count - i);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => joinOne(order)))));
  }
  process.send?.({ joined: sockets.length });
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
