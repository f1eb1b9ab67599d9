import { BaseAppEnv, envEndpointList, envInt, envPort } from '@live-im/config';
import { z } from 'zod';

/** room-service's environment; `loadConfig` stops the process with one line when a value is wrong. */
export const RoomServiceEnv = BaseAppEnv.extend({
  HTTP_PORT: envPort(3012),
  /** The brokers' worker-facing ROUTER endpoints; the worker serves every one of them. */
  RPC_BROKER_BACKENDS: envEndpointList('tcp://127.0.0.1:5556'),
  /** Requests taken at once from each broker. */
  WORKER_CAPACITY: envInt(64, { min: 1, max: 10_000 }),
  HEARTBEAT_MS: envInt(1000, { min: 50, max: 60_000 }),
  /** Shown in broker stats, so a rolling update can be followed worker by worker. */
  SERVICE_VERSION: z.string().min(1).max(64).default('0.1.0'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  /** Braces would turn the prefix into a hash tag and pile every key onto one cluster slot. */
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    .regex(/^[^{}\s]*$/, 'no braces or spaces')
    .default('live-im:'),
});

export type RoomServiceConfig = z.output<typeof RoomServiceEnv>;
