import pino, { Logger, LoggerOptions } from 'pino';
import { RequestContext } from './request-context';

export interface LoggerSettings {
  /** The app's name, on every line as `app`. */
  app: string;
  level: string;
  instance?: string;
}

/**
 * Keys whose values are secrets (passwords, tokens, API keys, session cookies). Code should not log
 * payloads at all; these keys are the safety net for the objects that are logged.
 */
export const SECRET_KEYS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'apiKey',
  'jwt',
  'authorization',
  'cookie',
  'x-api-key',
] as const;

/** A redact path for `key` under `prefix`, bracketed when the key is not an identifier. */
function pathOf(prefix: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${prefix}["${key}"]`;
  return prefix === '' ? key : `${prefix}.${key}`;
}

/**
 * Secrets never reach a log line. Every secret key is covered at the top and one level down
 * (`payload.password`, `headers.authorization`); deeper, only the shapes that are really logged
 * (pino-http's request and response, a Socket.IO handshake). pino cannot redact at any depth, and
 * each intermediate wildcard costs every line several microseconds, so code never logs payloads.
 */
export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [pathOf('', key), pathOf('*', key)]),
  ...['req.headers', 'req.body', 'req.query', 'res.headers', 'handshake.auth', 'handshake.headers'].flatMap(
    (prefix) => SECRET_KEYS.map((key) => pathOf(prefix, key)),
  ),
  'res.headers["set-cookie"]',
  '*.*.password',
];

const chindings = pino.symbols.chindingsSym;

/** True when a child logger already binds `reqId` (pino-http's request logger does). */
function bindsRequestId(logger: Logger): boolean {
  const bound = (logger as unknown as Record<symbol, unknown>)[chindings];
  return typeof bound === 'string' && bound.includes('"reqId":');
}

export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  return {
    level: settings.level,
    base: { app: settings.app, instance: settings.instance ?? String(process.pid) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin(_fields, _level, logger) {
      const reqId = RequestContext.currentId();
      // A line names its request once: a bound reqId is not written a second time. pino merges
      // into the returned object, so it is a fresh one every time.
      return reqId === undefined || bindsRequestId(logger) ? {} : { reqId };
    },
  };
}

/** A JSON logger for code outside Nest's DI (sockets, cores, scripts). */
export function createLogger(settings: LoggerSettings): Logger {
  return pino(loggerOptions(settings));
}
