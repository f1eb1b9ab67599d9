import { BaseAppEnv, BusMemberKeyEnv, BusSecurityEnv, envEndpoint, envInt, envPort } from '@live-im/config';
import { MemberId, Region } from '@live-im/contracts';
import { z } from 'zod';

/** The broadcast node's environment, validated once at boot. */
export const NodeEnv = BaseAppEnv.extend({
  ADMIN_PORT: envPort(3021),
  ...BusSecurityEnv.shape,
  ...BusMemberKeyEnv.shape,
  /** Defaults to INSTANCE_ID (see nodeIdOf). */
  NODE_ID: MemberId.optional(),
  NODE_KIND: z.enum(['broadcast', 'relay']).default('broadcast'),
  REGION: Region.default('home'),
  BCAST_PULL_BIND: envEndpoint('tcp://127.0.0.1:5570'),
  BCAST_PUB_BIND: envEndpoint('tcp://127.0.0.1:5571'),
  NM_ROUTER: envEndpoint('tcp://127.0.0.1:5580'),
  NM_PUB: envEndpoint('tcp://127.0.0.1:5581'),
  MERGE_WINDOW_MS: envInt(20, { min: 1, max: 10_000 }),
  MERGE_MAX_MESSAGES: envInt(64, { min: 1, max: 65_535 }),
  NORMAL_CAP_PER_SEC: envInt(500, { min: 1, max: 10_000_000 }),
  NORMAL_CAP_PER_SUBSCRIBER: envInt(0, { min: 0, max: 1_000_000 }),
  /** How long a message ahead of a missing seq of its room lane waits for it (0: never waits). */
  REORDER_HOLD_MS: envInt(40, { min: 0, max: 1000 }),
  HEARTBEAT_MS: envInt(1000, { min: 10, max: 60_000 }),
  /** After DRAIN, how long the node keeps publishing before it flushes and closes. */
  DRAIN_GRACE_MS: envInt(1000, { min: 0, max: 60_000 }),
  /**
   * Test only: drop every important-lane frame of a room whose seq range holds this seq (a lost
   * frame on purpose, for the seq beacon's tests). Refused when NODE_ENV is production.
   */
  TEST_DROP_IMPORTANT_SEQ: z.coerce.number().int().min(1).optional(),
  NODE_ENV: z.string().optional(),
}).refine((env) => env.TEST_DROP_IMPORTANT_SEQ === undefined || env.NODE_ENV !== 'production', {
  path: ['TEST_DROP_IMPORTANT_SEQ'],
  message: 'is a test hook; refused when NODE_ENV=production',
});

export type NodeConfig = z.output<typeof NodeEnv>;

export function nodeIdOf(config: NodeConfig): string {
  return config.NODE_ID ?? config.INSTANCE_ID;
}

/** Injection token of the validated NodeConfig. */
export const NODE_CONFIG = Symbol('NODE_CONFIG');
