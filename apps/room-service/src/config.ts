import { BaseAppEnv, envPort } from '@live-im/config';
import { RedisEnv } from '@live-im/redis';
import { RpcWorkerEnv } from '@live-im/zmq-transport';
import { z } from 'zod';

/** room-service's environment; `loadConfig` stops the process with one line when a value is wrong. */
export const RoomServiceEnv = BaseAppEnv.extend({
  ...RpcWorkerEnv.shape,
  ...RedisEnv.shape,
  HTTP_PORT: envPort(3012),
});

export type RoomServiceConfig = z.output<typeof RoomServiceEnv>;
