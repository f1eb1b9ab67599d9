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
