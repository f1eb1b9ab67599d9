import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';
import { capacityTable, withTable } from './model';
import { CAPACITY_DOC, readBenchResults } from './results';

/**
 * Recomputes the capacity model from bench/results/*.json and prints its table; with --write it
 * also rewrites the generated block of docs/capacity.md. Run after any bench moves:
 * `npm run capacity`.
 */
const results = readBenchResults(WORKSPACE_ROOT);
process.stdout.write(`${capacityTable(results)}\n`);
if (process.argv.includes('--write')) {
  const path = join(WORKSPACE_ROOT, CAPACITY_DOC);
  writeFileSync(path, withTable(readFileSync(path, 'utf8'), results));
  process.stdout.write(`${CAPACITY_DOC} updated\n`);
}
