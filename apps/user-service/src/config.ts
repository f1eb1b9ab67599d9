import { BaseAppEnv, envInt, envPort } from '@live-im/config';
import { RedisEnv } from '@live-im/redis';
import { RpcWorkerEnv } from '@live-im/zmq-transport';
import { z } from 'zod';

/** user-service's environment; `loadConfig` stops the process with one line when a value is wrong. */
export const UserServiceEnv = BaseAppEnv.extend({
  ...RpcWorkerEnv.shape,
  ...RedisEnv.shape,
  ADMIN_PORT: envPort(3011),
  JWT_SECRET: z.string({ error: 'required' }).min(32, 'must be at least 32 characters'),
  JWT_TTL_SEC: envInt(86_400, { min: 60, max: 30 * 86_400 }),
});

export type UserServiceConfig = z.output<typeof UserServiceEnv>;
