import { hostname } from 'node:os';
import { z } from 'zod';

/** An integer from the environment (strings are coerced), with a default and bounds. */
export function envInt(defaultValue: number, bounds: { min?: number; max?: number } = {}) {
  let schema = z.coerce.number().int();
  if (bounds.min !== undefined) schema = schema.min(bounds.min);
  if (bounds.max !== undefined) schema = schema.max(bounds.max);
  return schema.default(defaultValue);
}

export function envPort(defaultValue: number) {
  return envInt(defaultValue, { min: 0, max: 65535 });
}

const ZMQ_ENDPOINT = /^(tcp:\/\/[^\s:]+:(\d+|\*)|ipc:\/\/\S+|inproc:\/\/\S+)$/;

/** A ZeroMQ endpoint such as tcp://127.0.0.1:5555 or ipc:///tmp/broker.sock. */
export function envEndpoint(defaultValue: string) {
  return z
    .string()
    .regex(ZMQ_ENDPOINT, 'must be a ZeroMQ endpoint like tcp://host:port')
    .default(defaultValue);
}

/** A comma-separated list of ZeroMQ endpoints, at least one. */
export function envEndpointList(defaultValue: string) {
  return z
    .string()
    .default(defaultValue)
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    )
    .pipe(
      z.array(z.string().regex(ZMQ_ENDPOINT, 'each must be a ZeroMQ endpoint like tcp://host:port')).min(1),
    );
}

export function envBool(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
}

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
export type LogLevel = z.infer<typeof LogLevel>;

/**
 * What every app reads: its log level, where its admin listener (probes, metrics, operator tools;
 * never exposed to the public) listens, and its instance name. Each app overrides ADMIN_PORT's
 * default with one of its own, so apps on one host never collide.
 */
export const BaseAppEnv = z.object({
  LOG_LEVEL: LogLevel.default('info'),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_PORT: envPort(3009),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash and underscore, at most 64')
    .default(`${hostname().slice(0, 40)}-${process.pid}`),
});
