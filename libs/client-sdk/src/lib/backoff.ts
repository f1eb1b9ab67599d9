import { z } from 'zod';

/**
 * The reconnect delays: a base of `min · factor^attempt` capped at `max`, less a random share of up
 * to `jitter` of it, so each delay is drawn from `[base·(1−jitter), base]`.
 */
export const BackoffOptions = z
  .object({
    minDelayMs: z.number().int().min(1).max(3_600_000).default(500),
    maxDelayMs: z.number().int().min(1).max(3_600_000).default(15_000),
    factor: z.number().min(1).max(100).default(2),
    /** 0 = the same delay every time; 0.5 = each delay is drawn from [base/2, base]. */
    jitter: z.number().min(0).max(1).default(0.5),
  })
  .strict()
  .refine((o) => o.maxDelayMs >= o.minDelayMs, {
    message: 'maxDelayMs must be at least minDelayMs',
    path: ['maxDelayMs'],
  });
export type BackoffOptions = z.output<typeof BackoffOptions>;

/**
 * Exponential backoff with jitter, so a gateway that restarts (or the gateways taking over from
 * one that died) is not hit by all its clients in the same instant. The first delay is jittered
 * too: it lies within [minDelayMs·(1−jitter), minDelayMs]. Every delay lies within
 * [minDelayMs·(1−jitter), maxDelayMs] and is at least 1 ms; `reset` after a success.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt; each call grows the next one. */
  next(): number {
    const delay = this.delayFor(this.attempt);
    this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }

  /** The upper bound of the `attempt`-th delay, before jitter. */
  baseFor(attempt: number): number {
    const { minDelayMs, maxDelayMs, factor } = this.options;
    // Past the cap the power only overflows: stop computing it.
    const exponent = Math.min(attempt, 64);
    return Math.min(maxDelayMs, minDelayMs * factor ** exponent);
  }

  private delayFor(attempt: number): number {
    const { jitter } = this.options;
    const base = this.baseFor(attempt);
    const draw = Math.min(1, Math.max(0, this.random()));
    return Math.max(1, Math.round(base * (1 - jitter * draw)));
  }
}
