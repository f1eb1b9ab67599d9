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

function joinOne(order: Order): Promise<Socket> {
  const socket = io(order.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    localAddress: order.localAddress,
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
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
