import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RPC_CONTRACTS } from '@live-im/contracts';
import { builtEntry, WORKSPACE_ROOT } from '@live-im/testing';

const run = promisify(execFile);

interface Listing {
  protocol: string;
  defaultTimeoutMs: number;
  operations: Array<{
    pattern: string;
    service: string;
    idempotent: boolean;
    timeoutMs: number;
    request: object;
    response: object;
  }>;
}

describe('the machine-readable contract listing', () => {
  it('`rpc contracts --json` prints exactly docs/rpc-contracts.json, one entry per contract', async () => {
    const { stdout } = await run(process.execPath, [builtEntry('rpc-cli'), 'contracts', '--json'], {
      timeout: 30_000,
    });
    const shipped = readFileSync(join(WORKSPACE_ROOT, 'docs/rpc-contracts.json'), 'utf8');
    // When this fails after a contract change: npm run rpc -- contracts --json > docs/rpc-contracts.json
    expect(stdout).toBe(shipped);

    const listing = JSON.parse(stdout) as Listing;
    expect(listing.protocol).toBe('LRPC/1');
    expect(listing.operations.map((op) => op.pattern)).toEqual(
      [...RPC_CONTRACTS.keys()].sort((a, b) => a.localeCompare(b)),
    );
    for (const op of listing.operations) {
      const contract = RPC_CONTRACTS.get(op.pattern)!;
      expect([op.pattern, op.service, op.idempotent, op.timeoutMs]).toEqual([
        contract.pattern,
        contract.service,
        contract.idempotent,
        contract.timeoutMs,
      ]);
      expect(op.request).toHaveProperty('type');
      expect(op.response).toHaveProperty('$schema');
    }
  });
});
