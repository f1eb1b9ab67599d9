import { BaseAppEnv, envEndpoint, envEndpointList, envInt, envPort } from '@live-im/config';
import { MemberId, Region } from '@live-im/contracts';
import { RedisEnv } from '@live-im/redis';
import { RpcWorkerEnv } from '@live-im/zmq-transport';
import { z } from 'zod';
import { readGiftList } from './gifts/gift-catalogue';

const DAY_SEC = 86_400;

/** This worker's member id in the broadcast cluster is `room-service-<INSTANCE_ID>`. */
const PUBLISHER_ID_PREFIX = 'room-service-';

/** room-service's environment; `loadConfig` stops the process with one line when a value is wrong. */
export const RoomServiceEnv = BaseAppEnv.extend({
  ...RpcWorkerEnv.shape,
  ...RedisEnv.shape,
  ADMIN_PORT: envPort(3012),
  /** Brokers' caller-facing endpoints, for the business.receipt events room-service emits. */
  RPC_BROKER_FRONTENDS: envEndpointList('tcp://127.0.0.1:5555'),
  /** The node manager, whose topology tells the publisher which broadcast node owns a room. */
  NM_ROUTER: envEndpoint('tcp://127.0.0.1:5580'),
  NM_PUB: envEndpoint('tcp://127.0.0.1:5581'),
  REGION: Region.default('home'),

  NORMAL_LOG_MAX: envInt(2000, { min: 1, max: 1_000_000 }),
  IMPORTANT_LOG_MAX: envInt(10_000, { min: 1, max: 1_000_000 }),
  NORMAL_LOG_TTL_SEC: envInt(DAY_SEC, { min: 60, max: 365 * DAY_SEC }),
  IMPORTANT_LOG_TTL_SEC: envInt(7 * DAY_SEC, { min: 60, max: 365 * DAY_SEC }),
  /** How long a clientMsgId keeps returning its first result. */
  DEDUPE_TTL_SEC: envInt(600, { min: 1, max: 30 * DAY_SEC }),

  USER_RATE_POINTS: envInt(10, { min: 1, max: 1_000_000 }),
  USER_RATE_WINDOW_SEC: envInt(5, { min: 1, max: DAY_SEC }),
  ROOM_RATE_POINTS: envInt(2000, { min: 1, max: 10_000_000 }),
  ROOM_RATE_WINDOW_SEC: envInt(1, { min: 1, max: DAY_SEC }),

  /** Messages per lane a join returns as the room's recent past. */
  RECENT_NORMAL: envInt(30, { min: 0, max: 1000 }),
  RECENT_IMPORTANT: envInt(20, { min: 0, max: 1000 }),
  /** Missed messages per lane a resuming join returns at most; the rest is paged with history. */
  RESUME_LIMIT: envInt(200, { min: 1, max: 10_000 }),

  LIKE_FLUSH_MS: envInt(1000, { min: 50, max: 60_000 }),
  /** Extra time a targeted requireAck push gets, past its ackTimeoutSec, before pending recipients expire. */
  RECEIPT_GRACE_SEC: envInt(5, { min: 0, max: 3600 }),
  RECEIPT_SWEEP_MS: envInt(1000, { min: 50, max: 60_000 }),
  /** Must match the gateways' presence lease (libs/presence). */
  PRESENCE_LEASE_MS: envInt(3000, { min: 500, max: 60_000 }),
  /** How often each live room's state (online figures, latest seqs) is aggregated and published. */
  ROOM_STATE_MS: envInt(1000, { min: 100, max: 60_000 }),
  /** How long an aggregation lease outlives its holder: a dead worker's rooms move on after this. */
  AGGREGATION_LEASE_MS: envInt(2500, { min: 200, max: 600_000 }),

  /** A JSON array of contract Gift entries; the committed default catalogue when unset. */
  GIFT_CATALOGUE_FILE: z.string().min(1).optional(),
}).transform((env, ctx) => {
  if (env.AGGREGATION_LEASE_MS <= env.ROOM_STATE_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['AGGREGATION_LEASE_MS'],
      message: 'must be longer than ROOM_STATE_MS, or every lease lapses between rounds',
    });
  }
  const publisherId = `${PUBLISHER_ID_PREFIX}${env.INSTANCE_ID}`;
  if (!MemberId.safeParse(publisherId).success) {
    const most = 64 - PUBLISHER_ID_PREFIX.length;
    ctx.addIssue({
      code: 'custom',
      path: ['INSTANCE_ID'],
      message: `at most ${most} characters (the publisher id is ${PUBLISHER_ID_PREFIX}<INSTANCE_ID>)`,
    });
  }
  try {
    return { ...env, publisherId, gifts: readGiftList(env.GIFT_CATALOGUE_FILE) };
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['GIFT_CATALOGUE_FILE'], message: (error as Error).message });
    return z.NEVER;
  }
});

export type RoomServiceConfig = z.output<typeof RoomServiceEnv>;

/** Injection token of the validated RoomServiceConfig. */
export const ROOM_SERVICE_CONFIG = Symbol('ROOM_SERVICE_CONFIG');
