import { Injectable } from '@nestjs/common';

/** The time source of business code; tests hand in their own to move time without sleeping. */
@Injectable()
export class Clock {
  /** Epoch milliseconds. */
  now(): number {
    return Date.now();
  }
}
