import { RoomServiceConfig } from '../config';
import { LogPolicy } from '../messages/log-policy';

/** How long each lane's log is kept, from the config. */
export function logPolicyOf(config: RoomServiceConfig): LogPolicy {
  return {
    normal: { maxLen: config.NORMAL_LOG_MAX, ttlMs: config.NORMAL_LOG_TTL_SEC * 1000 },
    important: { maxLen: config.IMPORTANT_LOG_MAX, ttlMs: config.IMPORTANT_LOG_TTL_SEC * 1000 },
  };
}
