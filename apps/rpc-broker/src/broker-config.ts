import { BaseAppEnv, BusSecurityEnv, envEndpoint, envInt, envPort } from '@live-im/config';
import { RPC_MAX_BODY_BYTES_CAP } from '@live-im/zmq-transport';
import { hostname } from 'node:os';
import { z } from 'zod';

/** The broker's environment, validated once at boot. */
export const BrokerEnv = BaseAppEnv.extend({
  ADMIN_PORT: envPort(3010),
  ...BusSecurityEnv.shape,
  RPC_FRONTEND_BIND: envEndpoint('tcp://127.0.0.1:5555'),
  RPC_BACKEND_BIND: envEndpoint('tcp://127.0.0.1:5556'),
  HEARTBEAT_MS: envInt(1000, { min: 10, max: 60_000 }),
  SERVICE_GRACE_MS: envInt(1000, { min: 0, max: 600_000 }),
  MAX_QUEUE: envInt(10_000, { min: 1, max: 10_000_000 }),
  MAX_QUEUED_BYTES: envInt(64 * 1024 * 1024, { min: 1024 }),
  /** On SIGTERM, how long to keep answering the requests held before closing anyway. */
  DRAIN_TIMEOUT_MS: envInt(15_000, { min: 0, max: 120_000 }),
  /** Capped so a forwarded request always fits the workers' message limit (RPC_MESSAGE_LIMITS). */
  MAX_BODY_BYTES: envInt(1024 * 1024, { min: 1, max: RPC_MAX_BODY_BYTES_CAP }),
  BROKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash and underscore, at most 64')
    .default(`${hostname().slice(0, 40)}-${process.pid}`),
});

export type BrokerConfig = z.output<typeof BrokerEnv>;

/** Injection token of the validated BrokerConfig. */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
