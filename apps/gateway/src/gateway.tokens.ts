import { createLogger } from '@live-im/logging';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';

/** Injection token of the pino logger the socket and delivery cores write to (JSON, with the request id). */
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');

export type GatewayLogger = Logger;

export function createGatewayLogger(config: GatewayConfig): GatewayLogger {
  return createLogger({ app: 'gateway', level: config.LOG_LEVEL, instance: config.INSTANCE_ID });
}

/** For log lines: an error's message and stack, never the object itself. */
export function errorFields(error: unknown): { err: { message: string; stack?: string } | string } {
  return { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) };
}
