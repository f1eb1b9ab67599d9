import { z } from 'zod';

/** The environment of an app that uses Redis; `.extend` an app's schema with `RedisEnv.shape`. */
export const RedisEnv = z.object({
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
