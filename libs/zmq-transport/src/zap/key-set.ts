import type { BusKeyPair, BusTrust } from '@live-im/config';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';

/** One process (or replica set) of the system and what its key may do on the bus. */
export interface BusMember {
  name: string;
  /** Services it serves on the broker backend. */
  serves?: string[];
  /** Patterns it may call on the broker frontend (`*`: an operator). */
  calls?: string[];
  /** Pushes messages into broadcast nodes. */
  publishes?: boolean;
  /** Subscribes to broadcast nodes or relays. */
  subscribes?: boolean;
  /** Member kinds it may register as with the node manager. */
  joins?: Array<'broadcast' | 'relay' | 'subscriber' | 'publisher'>;
}

/** The gateway calls on behalf of users: never the admin patterns (user.ban, profiles). */
const GATEWAY_CALLS = ['room.*', 'user.register', 'user.login', 'user.guest', 'user.verifyToken'];

/** The members of the system as `npm start`, the pm2 ecosystem and Kubernetes run it. */
export const SYSTEM_BUS_MEMBERS: readonly BusMember[] = [
  { name: 'rpc-broker' },
  { name: 'user-service', serves: ['user'] },
  { name: 'room-service', serves: ['room'], calls: ['business.*'], publishes: true, joins: ['publisher'] },
  { name: 'gateway', calls: GATEWAY_CALLS, subscribes: true, joins: ['subscriber'] },
  { name: 'node-manager' },
  // Nodes and relays (the broadcast-node app in either mode): a relay pushes and subscribes upstream.
  { name: 'broadcast-node', publishes: true, subscribes: true, joins: ['broadcast', 'relay'] },
  { name: 'rpc-cli', calls: ['*'] },
  { name: 'business', serves: ['business'] },
];

/**
 * The system plus the peers the e2e suites run inside the test process: `rpc-cli` is their caller
 * (an operator key) and `test-worker` serves the services their in-process workers announce.
 */
export const TEST_BUS_MEMBERS: readonly BusMember[] = [
  ...SYSTEM_BUS_MEMBERS,
  { name: 'test-worker', serves: ['slow', 'echo', 'user', 'room', 'bench'] },
];

export interface BusKeySet {
  keys: Record<string, BusKeyPair>;
  trust: BusTrust;
}

/** A fresh key pair per member and the trust list that grants each what it lists. */
export function makeBusKeySet(members: readonly BusMember[] = SYSTEM_BUS_MEMBERS): BusKeySet {
  const keys: Record<string, BusKeyPair> = {};
  for (const member of members) {
    const pair = curveKeyPair();
    keys[member.name] = { publicKey: pair.publicKey, secretKey: pair.secretKey };
  }
  const broker = keys['rpc-broker'];
  if (broker === undefined) throw new Error('a bus key set needs an rpc-broker member');
  return {
    keys,
    trust: {
      rpcBroker: broker.publicKey,
      workers: members
        .filter((m) => m.serves !== undefined)
        .map((m) => ({ name: m.name, key: keys[m.name].publicKey, services: m.serves ?? [] })),
      callers: members
        .filter((m) => m.calls !== undefined)
        .map((m) => ({ name: m.name, key: keys[m.name].publicKey, patterns: m.calls ?? [] })),
      nodeManager: keys['node-manager']?.publicKey,
      broadcast: keys['broadcast-node']?.publicKey,
      publishers: members
        .filter((m) => m.publishes === true)
        .map((m) => ({ name: m.name, key: keys[m.name].publicKey })),
      subscribers: members
        .filter((m) => m.subscribes === true)
        .map((m) => ({ name: m.name, key: keys[m.name].publicKey })),
      members: members
        .filter((m) => m.joins !== undefined)
        .map((m) => ({ name: m.name, key: keys[m.name].publicKey, kinds: m.joins ?? [] })),
    },
  };
}

/** Writes `<name>.key.json` per member (owner-only) and `trust.json` (public keys) into `dir`. */
export function writeBusKeySet(dir: string, set: BusKeySet): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, pair] of Object.entries(set.keys)) {
    const file = join(dir, `${name}.key.json`);
    writeFileSync(file, `${JSON.stringify(pair, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  writeFileSync(join(dir, 'trust.json'), `${JSON.stringify(set.trust, null, 2)}\n`);
}
