/** The part of a logger this library uses; Nest's `Logger` and `console` both fit. */
export interface BroadcastLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** For callers (mostly tests) that want the library quiet. */
export const SILENT_BROADCAST_LOGGER: BroadcastLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
