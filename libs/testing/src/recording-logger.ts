/**
 * A logger for the transport and broadcast libraries in tests: chatter is kept in memory (for a
 * failing test to print), not on the console. Fits TransportLogger and BroadcastLogger.
 */
export class RecordingLogger {
  readonly lines: string[] = [];

  log(message: string): void {
    this.record('log', message);
  }

  warn(message: string): void {
    this.record('warn', message);
  }

  error(message: string): void {
    this.record('error', message);
  }

  private record(level: string, message: string): void {
    if (this.lines.length < 10_000) this.lines.push(`${level}: ${message}`);
  }
}
