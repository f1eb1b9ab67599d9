import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { builtEntry, WORKSPACE_ROOT } from './app-process';

// No workspace imports here: jest's global setup loads this file without the path aliases.
let keysDir: string | undefined;

/**
 * The bus key set of this test process (tmp/test-keys/<pid>-<random>), made once by the built
 * rpc-cli (`keys --test`): every app the suites spawn runs with the bus secured by default.
 */
export function testBusKeysDir(): string {
  if (keysDir !== undefined) return keysDir;
  const dir = join(WORKSPACE_ROOT, 'tmp/test-keys', `${process.pid}-${randomBytes(4).toString('hex')}`);
  const cli = builtEntry('rpc-cli');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const made = spawnSync(process.execPath, [cli, 'keys', dir, '--test'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`rpc-cli keys failed: ${made.stderr}`);
  keysDir = dir;
  return dir;
}

/** The BUS_* env of one member of the test key set (its key file, if it has one, and the trust file). */
export function testBusEnv(member: string): Record<string, string> {
  const dir = testBusKeysDir();
  const keyFile = join(dir, `${member}.key.json`);
  return {
    BUS_SECURITY: 'curve',
    BUS_TRUST_FILE: join(dir, 'trust.json'),
    ...(existsSync(keyFile) ? { BUS_KEY_FILE: keyFile } : {}),
  };
}
