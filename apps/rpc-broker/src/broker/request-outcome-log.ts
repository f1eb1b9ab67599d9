import { traceOfRequestMeta } from '@live-im/zmq-transport';
import type { BrokerLogger } from './broker-options';

/** How a log line names a request: its request id (the caller's `reqId`) and pattern, read from the meta. */
export function requestFields(meta: Buffer): { reqId: string; pattern: string } {
  const patternLen = meta[10];
  return { reqId: traceOfRequestMeta(meta, patternLen), pattern: meta.toString('utf8', 11, 11 + patternLen) };
}

/** Lines written per second at most; the rest are counted. */
export const OUTCOME_LINES_PER_SECOND = 50;

/**
 * Lines for requests that did not go the happy way (OVERLOADED, DEADLINE_EXCEEDED, WORKER_LOST,
 * re-dispatched...), each with its reqId. An overloaded broker refuses thousands a second and a
 * line for each would add to the load, so at most 50 are written a second; how many were skipped
 * is said by the first line of the next second (the broker counters have them all).
 */
export class RequestOutcomeLog {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private skipped = 0;

  constructor(private readonly log: BrokerLogger) {}

  write(level: 'info' | 'warn', meta: Buffer, fields: object, message: string, now: number): void {
    if (now - this.windowStart >= 1000) {
      if (this.skipped > 0)
        this.log.warn({ skipped: this.skipped }, 'request outcome lines skipped (rate limit)');
      this.windowStart = now;
      this.written = 0;
      this.skipped = 0;
    }
    if (this.written >= OUTCOME_LINES_PER_SECOND) {
      this.skipped += 1;
      return;
    }
    this.written += 1;
    this.log[level]({ ...requestFields(meta), ...fields }, message);
  }
}
