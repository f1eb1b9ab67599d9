import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds: liveness and reorder windows must not jump with the wall clock. */
export function monotonicMs(): number {
  return performance.now();
}
