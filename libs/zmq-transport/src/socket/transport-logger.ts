/** The part of a logger the framework-free cores use; Nest's `Logger` and `console` both fit. */
export interface TransportLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** For callers (mostly tests) that want the transport quiet. */
export const SILENT_LOGGER: TransportLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * A structured logger, fields first as pino takes them: what the apps' framework-free cores (the
 * broker, the broadcast nodes, the node manager) write to; a pino logger fits.
 */
export interface StructuredLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** Guards the per-message debug lines; without it they are not written. */
  isLevelEnabled?(level: 'debug'): boolean;
}

/** For callers (mostly tests) that want a core quiet. */
export const SILENT_STRUCTURED_LOGGER: StructuredLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
