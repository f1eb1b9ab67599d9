import { Counter, register } from 'prom-client';
import type { Socket } from 'zeromq';

const MIB = 1024 * 1024;

/**
 * The largest message part (frame) each RPC socket role accepts: ZeroMQ's `ZMQ_MAXMSGSIZE`
 * (zeromq.js `maxMessageSize`). libzmq checks a frame's announced size before it allocates it and
 * drops the connection of a peer that announces more, so an oversized frame costs no memory.
 * docs/rpc-protocol.md "Limits" lists these; keep the two in step.
 */
export const RPC_MESSAGE_LIMITS = {
  /**
   * Broker frontend, on top of the request body limit (`MAX_BODY_BYTES`): the reference senders
   * put at most 1 MiB of pairs in one message or a larger pair alone, so a body a little over the
   * limit still gets its `PAYLOAD_TOO_LARGE` reply, and only a message this far over it is cut.
   */
  frontendSlackBytes: 1 * MIB,
  /**
   * Every other RPC socket (broker backend, workers, clients, the CLI): replies and forwarded
   * requests. The broker's `MAX_BODY_BYTES` is capped below it so a forwarded request always fits.
   */
  peerBytes: 64 * MIB,
} as const;

/** The broker's largest `MAX_BODY_BYTES`: a forwarded request must fit a worker's limit. */
export const RPC_MAX_BODY_BYTES_CAP = 32 * MIB;

/** The broker frontend's message limit for a given request body limit. */
export function rpcFrontendMaxMessageBytes(maxBodyBytes: number): number {
  return Math.max(maxBodyBytes, MIB) + RPC_MESSAGE_LIMITS.frontendSlackBytes;
}

const DISCONNECTS_METRIC = 'zmq_peer_disconnects_total';

function disconnectsCounter(): Counter<'socket'> {
  const existing = register.getSingleMetric(DISCONNECTS_METRIC);
  if (existing !== undefined) return existing as Counter<'socket'>;
  return new Counter({
    name: DISCONNECTS_METRIC,
    help:
      'Peer connections dropped, per listening ZeroMQ socket: a peer that sent a frame over the ' +
      "socket's maxMessageSize is cut by libzmq and shows here (libzmq reports no reason), as does " +
      'a peer that went away',
    labelNames: ['socket'],
  });
}

/**
 * Calls `onDisconnect` for each peer connection the socket drops, until it closes. libzmq reports
 * a peer cut for a frame over `maxMessageSize` only as a `disconnect` event, with no reason
 * (broker-message-limit.spec.ts and node-message-limit.spec.ts send one), so this is where such
 * cuts can be counted.
 */
export function watchPeerDisconnects(socket: Socket, onDisconnect: () => void): void {
  socket.events.on('disconnect', onDisconnect);
}

/** Counts the socket's peer disconnects in `zmq_peer_disconnects_total{socket}`. */
export function countPeerDisconnects(socket: Socket, name: string): void {
  const counter = disconnectsCounter();
  counter.inc({ socket: name }, 0);
  watchPeerDisconnects(socket, () => counter.inc({ socket: name }));
}

/** The `zmq_peer_disconnects_total` count of one listening socket in this process. */
export async function peerDisconnectCount(socket: string): Promise<number> {
  const metric = await register.getSingleMetric(DISCONNECTS_METRIC)?.get();
  return metric?.values.find((v) => v.labels.socket === socket)?.value ?? 0;
}
