import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from './model';

/** bench/results/*.json as the capacity model reads them. */
export function readBenchResults(root: string): BenchResults {
  const read = (name: string): unknown =>
    JSON.parse(readFileSync(join(root, 'bench/results', `${name}.json`), 'utf8'));
  return {
    bigroom: read('bigroom') as BenchResults['bigroom'],
    broadcast: read('broadcast') as BenchResults['broadcast'],
    fanout: read('fanout') as BenchResults['fanout'],
    rpc: read('rpc') as BenchResults['rpc'],
    storm: existsSync(join(root, 'bench/results/storm.json'))
      ? (read('storm') as BenchResults['storm'])
      : undefined,
  };
}

export const CAPACITY_DOC = 'docs/capacity.md';
