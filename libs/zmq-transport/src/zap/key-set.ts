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
  /**
   * Joins the node manager with a key of each replica's own (`<name>-<i>`, see replicaKeyName), not
   * with the shared one: the node manager binds a member id to the key that registered it, so one
   * replica cannot claim another's id.
   */
  joinsPerReplica?: boolean;
}

/** How many replica keys `npm run keys` makes: as many broadcast nodes as the pm2 layout runs. */
export const DEFAULT_REPLICA_KEYS = 8;
/** The most replica keys one set holds. */
export const MAX_REPLICA_KEYS = 256;

/** The key name of replica `index` (0-based, as a StatefulSet's ordinals) of a member. */
export function replicaKeyName(member: string, index: number): string {
  return `${member}-${index}`;
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
  // All serve with the shared key (one server key for every node); each joins with its own.
  {
    name: 'broadcast-node',
    publishes: true,
    subscribes: true,
    joins: ['broadcast', 'relay'],
    joinsPerReplica: true,
  },
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

export interface BusKeySetOptions {
  /** Replica keys per member that joins per replica (`broadcast-node-0` ...). */
  replicas?: number;
}

function freshPair(): BusKeyPair {
  const pair = curveKeyPair();
  return { publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** Who may join the node manager: each member's own key, or each of its replicas' keys. */
function joiners(
  members: readonly BusMember[],
  keys: Record<string, BusKeyPair>,
  replicas: number,
): BusTrust['members'] {
  return members.flatMap((member) => {
    const kinds = member.joins;
    if (kinds === undefined) return [];
    const names = member.joinsPerReplica
      ? Array.from({ length: replicas }, (_, i) => replicaKeyName(member.name, i))
      : [member.name];
    return names.map((name) => ({ name, key: keys[name].publicKey, kinds }));
  });
}

/**
 * A fresh key pair per member (plus one per replica of a member that joins per replica) and the
 * trust list that grants each what it lists.
 */
export function makeBusKeySet(
  members: readonly BusMember[] = SYSTEM_BUS_MEMBERS,
  { replicas = DEFAULT_REPLICA_KEYS }: BusKeySetOptions = {},
): BusKeySet {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICA_KEYS) {
    throw new RangeError(`replica keys: an integer from 1 to ${MAX_REPLICA_KEYS}, got ${replicas}`);
  }
  const keys: Record<string, BusKeyPair> = {};
  for (const member of members) {
    keys[member.name] = freshPair();
    if (!member.joinsPerReplica) continue;
    for (let i = 0; i < replicas; i += 1) keys[replicaKeyName(member.name, i)] = freshPair();
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
      members: joiners(members, keys, replicas),
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
