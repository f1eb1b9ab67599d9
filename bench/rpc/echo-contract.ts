import { defineRpc } from '@live-im/contracts';
import { z } from 'zod';

/** The benchmark's one trivial operation: validate a small payload and return it. */
export const BenchEcho = defineRpc({
  pattern: 'bench.echo',
  description: 'Returns its payload (benchmark only).',
  request: z.object({ n: z.number().int(), text: z.string().max(256) }),
  response: z.object({ n: z.number().int(), text: z.string() }),
  idempotent: true,
  timeoutMs: 10_000,
});

export const BENCH_CONTRACTS = new Map([[BenchEcho.pattern, BenchEcho]]);

export function benchPayload(i: number): { n: number; text: string } {
  return { n: i, text: 'hello from the bench' };
}
