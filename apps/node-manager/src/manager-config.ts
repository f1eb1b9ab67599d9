import { BaseAppEnv, BusSecurityEnv, envEndpoint, envInt, envPort } from '@live-im/config';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { LIVENESS_INTERVALS } from './membership';

/** The node manager's environment, validated once at boot. */
export const NodeManagerEnv = BaseAppEnv.extend({
  ADMIN_PORT: envPort(3020),
  ...BusSecurityEnv.shape,
  NM_ROUTER_BIND: envEndpoint('tcp://127.0.0.1:5580'),
  NM_PUB_BIND: envEndpoint('tcp://127.0.0.1:5581'),
  HEARTBEAT_MS: envInt(1000, { min: 10, max: 60_000 }),
  /** Unset: LIVENESS_INTERVALS heartbeats, so it follows a changed HEARTBEAT_MS. */
  DEAD_AFTER_MS: z.coerce.number().int().min(20).max(600_000).optional(),
  ACTIVATE_TIMEOUT_MS: envInt(10_000, { min: 0, max: 600_000 }),
  /** The built cluster dashboard (apps/cluster-dashboard); served at /dashboard when its index.html exists. */
  DASHBOARD_DIST_DIR: z
    .string()
    .trim()
    .min(1, 'must be a folder path')
    .default(join(process.cwd(), 'dist/apps/cluster-dashboard'))
    .transform((dir) => resolve(dir)),
})
  .transform((env) => ({ ...env, DEAD_AFTER_MS: env.DEAD_AFTER_MS ?? LIVENESS_INTERVALS * env.HEARTBEAT_MS }))
  // A member heartbeating on time must never look dead.
  .refine((env) => env.DEAD_AFTER_MS > env.HEARTBEAT_MS, {
    path: ['DEAD_AFTER_MS'],
    message: 'must be greater than HEARTBEAT_MS',
  });

export type NodeManagerConfig = z.output<typeof NodeManagerEnv>;

/** Injection token of the validated NodeManagerConfig. */
export const NODE_MANAGER_CONFIG = Symbol('NODE_MANAGER_CONFIG');
