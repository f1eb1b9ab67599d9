import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { builtEntry, WORKSPACE_ROOT } from './app-process';

// No workspace imports here: jest's global setup loads this file without the path aliases.
let keysDir: string | undefined;

/** Node replica keys in the test key set (`broadcast-node-<i>.key.json`). */
const TEST_NODE_KEYS = 16;
/** The replica key each node id of this test process joins with, handed out in order of first use. */
const nodeKeyIndex = new Map<string, number>();

/**
 * The bus key set of this test process (tmp/test-keys/<pid>-<random>), made once by the built
 * rpc-cli (`keys --test`): every app the suites spawn runs with the bus secured by default.
 */
export function testBusKeysDir(): string {
  if (keysDir !== undefined) return keysDir;
  const dir = join(WORKSPACE_ROOT, 'tmp/test-keys', `${process.pid}-${randomBytes(4).toString('hex')}`);
  const cli = builtEntry('rpc-cli');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const made = spawnSync(process.execPath, [cli, 'keys', dir, '--test', '--nodes', String(TEST_NODE_KEYS)], {
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`rpc-cli keys failed: ${made.stderr}`);
  keysDir = dir;
  return dir;
}

/**
 * The BUS_* env of one member of the test key set (its key file, if it has one, and the trust
 * file). A broadcast node (`nodeId` given) also gets a replica key of its own towards the node
 * manager, the same one each time its id starts again in this test process, as a StatefulSet pod
 * keeps its ordinal's key. Past TEST_NODE_KEYS distinct ids, keys are handed out again from the
 * first: two such nodes then share a key, which the node manager accepts (it binds ids to keys).
 */
export function testBusEnv(member: string, nodeId?: string): Record<string, string> {
  const dir = testBusKeysDir();
  const keyFile = join(dir, `${member}.key.json`);
  return {
    BUS_SECURITY: 'curve',
    BUS_TRUST_FILE: join(dir, 'trust.json'),
    ...(existsSync(keyFile) ? { BUS_KEY_FILE: keyFile } : {}),
    ...(member === 'broadcast-node' && nodeId !== undefined
      ? { BUS_MEMBER_KEY_FILE: testNodeMemberKeyFile(nodeId) }
      : {}),
  };
}

/** The replica key file of a node id in this test process (see testBusEnv). */
export function testNodeMemberKeyFile(nodeId: string): string {
  let index = nodeKeyIndex.get(nodeId);
  if (index === undefined) {
    index = nodeKeyIndex.size % TEST_NODE_KEYS;
    nodeKeyIndex.set(nodeId, index);
  }
  return join(testBusKeysDir(), `broadcast-node-${index}.key.json`);
}
