import {
  BaseAppEnv,
  BusSecurityEnv,
  envBool,
  envEndpoint,
  envEndpointList,
  envInt,
  envPort,
} from '@live-im/config';
import { Region } from '@live-im/contracts';
import { RedisEnv } from '@live-im/redis';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { EdgeCacheLimits } from './cache/edge-cache';
import { MIN_SEND_BUFFER_BYTES } from './socket/send-buffer';

/**
 * The origins whose pages may call the gateway cross-origin: a comma list such as
 * `https://live.example.com,http://localhost:5173`, or `*` for any. Empty (the default): none, so
 * only pages the gateway serves itself (same origin) use the API from a browser.
 */
const CorsOrigins = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(
    z
      .array(
        z.union([
          z.literal('*'),
          z.url({ protocol: /^https?$/, error: 'each must be * or an http(s) origin' }),
        ]),
      )
      .refine((origins) => !origins.includes('*') || origins.length === 1, '* stands alone'),
  );

/** The gateway's environment; `loadConfig` stops the process with one line when a value is wrong. */
export const GatewayEnv = BaseAppEnv.extend({
  ...RedisEnv.shape,
  ...BusSecurityEnv.shape,
  /** The public listener: the HTTP API, Socket.IO and the web page, and nothing operational. */
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: envPort(3000),
  ADMIN_PORT: envPort(3050),
  RPC_BROKER_FRONTENDS: envEndpointList('tcp://127.0.0.1:5555'),
  NM_ROUTER: envEndpoint('tcp://127.0.0.1:5580'),
  NM_PUB: envEndpoint('tcp://127.0.0.1:5581'),
  /** Relays of this region are used instead of the broadcast nodes when there are any. */
  REGION: Region.default('home'),
  /** Heartbeat to the node manager and to the brokers. */
  HEARTBEAT_MS: envInt(1000, { min: 50, max: 60_000 }),
  /** The business and admin HTTP API's shared secret (header x-api-key). */
  API_KEY: z.string({ error: 'required' }).min(16, 'must be at least 16 characters'),
  CORS_ORIGINS: CorsOrigins,
  /** Take the client address from the first X-Forwarded-For hop (behind a trusted load balancer). */
  TRUST_PROXY: envBool(false),
  PRESENCE_FLUSH_MS: envInt(1000, { min: 100, max: 60_000 }),
  PRESENCE_LEASE_MS: envInt(3000, { min: 300, max: 600_000 }),
  /** First re-delivery of an unacked requireAck message; each later one waits twice as long. */
  RECEIPT_RETRY_MS: envInt(1000, { min: 50, max: 600_000 }),
  RECEIPT_TIMEOUT_MS: envInt(15_000, { min: 100, max: 3_600_000 }),
  /** (message, user) pairs awaiting an ack on this gateway; past it the oldest expire at once. */
  RECEIPT_MAX_PENDING: envInt(100_000, { min: 1, max: 10_000_000 }),
  /** Receipts per room.receipts call at most. */
  RECEIPT_BATCH_MAX: envInt(500, { min: 1, max: 500 }),
  /** A receipt waits at most this long for others to fill its call (when a call is free). */
  RECEIPT_BATCH_MS: envInt(100, { min: 1, max: 60_000 }),
  /** room.receipts calls out at once; the rest queue behind them. */
  RECEIPT_CALLS_IN_FLIGHT: envInt(2, { min: 1, max: 64 }),
  /** Receipts queued for room-service at most; past it new ones are dropped and counted. */
  RECEIPT_MAX_QUEUED: envInt(200_000, { min: 1, max: 10_000_000 }),
  /**
   * Flow control by room size: a room's normal batches start a fan-out at most once per pace, what
   * comes in between joined into the next. The pace is this at NORMAL_PACE_FULL_SOCKETS local
   * sockets and proportionally less below (under 10 ms: none); 0 turns it off.
   */
  NORMAL_PACE_MAX_MS: envInt(250, { min: 0, max: 2000 }),
  NORMAL_PACE_FULL_SOCKETS: envInt(1000, { min: 1, max: 10_000_000 }),
  /**
   * A socket's backlog is the bytes written to it that its kernel send buffer has not taken yet
   * (the TCP socket's user-space buffer, plus what engine.io still queues). Over this, normal
   * batches skip it.
   */
  SLOW_SOCKET_BYTES: envInt(64 * 1024, { min: 1024, max: 64 * 1024 * 1024 }),
  /** Over this backlog a socket is disconnected rather than sent an important batch (it resumes). */
  IMPORTANT_BACKLOG_BYTES: envInt(512 * 1024, { min: 4096, max: 256 * 1024 * 1024 }),
  /**
   * Handshakes per client address: a token bucket of CONNECT_BURST_PER_IP that refills at
   * CONNECTS_PER_IP_PER_SEC. The burst lets a NAT'd office (hundreds of viewers behind one address)
   * reconnect all at once after a gateway dies; the rate is what may go on for ever.
   */
  CONNECT_BURST_PER_IP: envInt(500, { min: 1, max: 1_000_000 }),
  CONNECTS_PER_IP_PER_SEC: envInt(50, { min: 1, max: 1_000_000 }),
  /** Connections open at once from one client address on this gateway. */
  MAX_CONNECTIONS_PER_IP: envInt(1000, { min: 1, max: 10_000_000 }),
  /**
   * Connections this gateway holds at most; past it handshakes get OVERLOADED. 0: the process's
   * open-files limit (RLIMIT_NOFILE) less a reserve for the gateway's own Redis, ZeroMQ and HTTP
   * handles (the larger of 256 and a tenth of it).
   */
  MAX_CONNECTIONS: envInt(0, { min: 0, max: 10_000_000 }),
  /**
   * SO_SNDBUF of every WebSocket connection (0: the kernel's autotuning, unbounded up to
   * net.ipv4.tcp_wmem's maximum). Bounded, what a client cannot read waits in user space where
   * the slow-socket policy counts it. 64 KiB (Linux doubles it for bookkeeping) holds several
   * hundred frames, and a window of that size carries 64 KiB / 200 ms RTT = 320 KB/s on a WAN
   * path, far above a viewer's tens of KB/s even under a chat flood; on loopback it still
   * leaves each write whole.
   */
  SEND_BUFFER_BYTES: envInt(65_536, { min: 0, max: 4 * 1024 * 1024 }).refine(
    (bytes) => bytes === 0 || bytes >= MIN_SEND_BUFFER_BYTES,
    `must be 0 (off) or at least ${MIN_SEND_BUFFER_BYTES}`,
  ),
  JOINS_PER_SOCKET_PER_SEC: envInt(5, { min: 1, max: 10_000 }),
  EVENTS_PER_SOCKET_PER_SEC: envInt(50, { min: 1, max: 100_000 }),
  MAX_ROOMS_PER_SOCKET: envInt(10, { min: 1, max: 1000 }),
  /**
   * How long a chat send may wait at the gateway to leave for the broker in one message with other
   * sends (0: after the current turn). Every hop then handles many chats per message and Redis
   * gets their commands in one write; gifts and every other call never wait, and take waiting
   * chats along. Adds at most this much to a chat's latency.
   */
  CHAT_COALESCE_MS: envInt(5, { min: 0, max: 50 }),
  /**
   * The edge cache (docs/architecture.md "Edge cache"): per room with local viewers, the recent
   * messages of both lanes, answering join, resume and history without room-service where it holds
   * the range. Off: every join and history call goes to room-service (for comparison runs).
   */
  EDGE_CACHE: envBool(true),
  /**
   * Messages and JSON bytes the cache keeps per room lane; the important lane keeps more. The normal
   * lane must cover a rejoin storm: viewers of a dead gateway rejoin over as long as the others take
   * to accept them (bench/storm: 3,333 viewers over 2 gateways took 19 s), and a resume older than
   * the cache goes to room-service. 4,000 is 80 s of a 50 msg/s room.
   */
  EDGE_CACHE_NORMAL_MESSAGES: envInt(4000, { min: 1, max: 100_000 }),
  EDGE_CACHE_IMPORTANT_MESSAGES: envInt(8000, { min: 1, max: 100_000 }),
  EDGE_CACHE_NORMAL_BYTES: envInt(2 * 1024 * 1024, { min: 1024, max: 256 * 1024 * 1024 }),
  EDGE_CACHE_IMPORTANT_BYTES: envInt(4 * 1024 * 1024, { min: 1024, max: 256 * 1024 * 1024 }),
  /** JSON bytes the cache keeps over all rooms; past it the least recently used rooms go. */
  EDGE_CACHE_TOTAL_BYTES: envInt(256 * 1024 * 1024, { min: 64 * 1024, max: 16 * 1024 * 1024 * 1024 }),
  /**
   * What a join answered from the cache carries, as room-service's own join does (its
   * RECENT_NORMAL, RECENT_IMPORTANT and RESUME_LIMIT; keep them equal).
   */
  JOIN_RECENT_NORMAL: envInt(30, { min: 0, max: 1000 }),
  JOIN_RECENT_IMPORTANT: envInt(20, { min: 0, max: 1000 }),
  RESUME_LIMIT: envInt(200, { min: 1, max: 10_000 }),
  /**
   * Joins of one room answered from the cache are admitted together (room.admit: bans, room
   * open): a lone join at once, then at most one call per room per this window, with every join
   * that came meanwhile (at most MAX_ADMIT_USERS). The most a join waits during a rejoin storm.
   */
  ADMIT_WINDOW_MS: envInt(250, { min: 0, max: 5000 }),
  /**
   * A gap the broadcast subscriber reports is filled once per gateway from room-service; the
   * lane's later batches wait for the fill, at most this long (then they go, and clients pull it).
   */
  GAP_FILL_WAIT_MS: envInt(3000, { min: 100, max: 60_000 }),
  /** Public auth calls (register, login, guest) per client address per second. */
  AUTH_PER_IP_PER_SEC: envInt(50, { min: 1, max: 1_000_000 }),
  /** Wrong passwords an account may take per hour before each further one locks its login. */
  LOGIN_FREE_FAILURES: envInt(5, { min: 1, max: 1000 }),
  /** The longest lock of an account's login; locks double from 1 s up to this. */
  LOGIN_LOCK_MAX_MS: envInt(900_000, { min: 1000, max: 86_400_000 }),
  /** The built web page (apps/web); served at `/` when its index.html exists. */
  WEB_DIST_DIR: z
    .string()
    .trim()
    .min(1, 'must be a folder path')
    .default(join(process.cwd(), 'dist/apps/web'))
    .transform((dir) => resolve(dir)),
})
  .refine((env) => env.ADMIN_PORT === 0 || env.ADMIN_PORT !== env.HTTP_PORT, {
    path: ['ADMIN_PORT'],
    message: 'must differ from HTTP_PORT: the admin listener is never the public one',
  })
  .refine((env) => env.PRESENCE_LEASE_MS > env.PRESENCE_FLUSH_MS, {
    path: ['PRESENCE_LEASE_MS'],
    message: 'must be longer than PRESENCE_FLUSH_MS, or every lease lapses between flushes',
  })
  .refine((env) => env.IMPORTANT_BACKLOG_BYTES >= env.SLOW_SOCKET_BYTES, {
    path: ['IMPORTANT_BACKLOG_BYTES'],
    message: 'must be at least SLOW_SOCKET_BYTES, or a socket is cut off before normal batches skip it',
  });

export type GatewayConfig = z.output<typeof GatewayEnv>;

/** Injection token of the validated GatewayConfig. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

/** The edge cache's bounds from the gateway's config. */
export function edgeCacheLimits(config: GatewayConfig): EdgeCacheLimits {
  return {
    messages: { normal: config.EDGE_CACHE_NORMAL_MESSAGES, important: config.EDGE_CACHE_IMPORTANT_MESSAGES },
    bytes: { normal: config.EDGE_CACHE_NORMAL_BYTES, important: config.EDGE_CACHE_IMPORTANT_BYTES },
    totalBytes: config.EDGE_CACHE_TOTAL_BYTES,
  };
}
