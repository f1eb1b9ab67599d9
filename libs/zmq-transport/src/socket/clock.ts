import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds: deadlines and liveness must not jump with the wall clock. */
export function monotonicMs(): number {
  return performance.now();
}
