import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';

/** issue 18: the secured path keeps at least this share of the plain path's throughput. */
export const SECURE_RATIO_GOAL = 0.85;

/** bench/results/secure.json: bench/rpc and bench/broadcast each write their half. */
export interface SecureResults {
  rpc_secure?: number;
  rpc_plain?: number;
  rpc_ratio?: number;
  broadcast_secure?: number;
  broadcast_plain?: number;
  broadcast_ratio?: number;
  goal?: number;
  measured_at?: Record<string, string>;
}

/** Merges one bench's figures into bench/results/secure.json, keeping the other bench's. */
export function writeSecureResults(figures: SecureResults): void {
  const dir = join(WORKSPACE_ROOT, 'bench/results');
  const file = join(dir, 'secure.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SecureResults) : {};
  const part = figures.rpc_ratio !== undefined ? 'rpc' : 'broadcast';
  const merged: SecureResults = {
    ...previous,
    ...figures,
    goal: SECURE_RATIO_GOAL,
    measured_at: { ...previous.measured_at, [part]: new Date().toISOString() },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  process.stdout.write(`bench/results/secure.json: ${part} figures written\n`);
}
