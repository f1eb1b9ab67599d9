import pino, { Logger, LoggerOptions } from 'pino';
import { RequestContext } from './request-context';

export interface LoggerSettings {
  /** The app's name, on every line as `app`. */
  app: string;
  level: string;
  instance?: string;
}

/** Secrets never reach a log line, wherever they sit in a logged object. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
];

export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  return {
    level: settings.level,
    base: { app: settings.app, instance: settings.instance ?? String(process.pid) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const reqId = RequestContext.currentId();
      return reqId === undefined ? {} : { reqId };
    },
  };
}

/** A JSON logger for code outside Nest's DI (sockets, cores, scripts). */
export function createLogger(settings: LoggerSettings): Logger {
  return pino(loggerOptions(settings));
}
