import { Clock } from '@live-im/bootstrap';

/** Real time plus an offset that a test moves forward instead of sleeping. */
export class MovableClock extends Clock {
  private offsetMs = 0;

  override now(): number {
    return Date.now() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
