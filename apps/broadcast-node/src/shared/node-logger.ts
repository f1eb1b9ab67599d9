/** Structured logger the cores write to; a pino logger fits. */
export interface NodeLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** Guards the per-message debug lines; without it they are not written. */
  isLevelEnabled?(level: 'debug'): boolean;
}

export const silentLogger: NodeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
