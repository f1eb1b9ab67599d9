import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './load-config';

/** A CURVE key in Z85 (ZeroMQ RFC 32): 40 characters for 32 bytes. */
export const Z85Key = z
  .string()
  .regex(/^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/, 'must be a 40-character Z85 CURVE key');

/** A process's own CURVE key pair. */
export const BusKeyPair = z.object({ publicKey: Z85Key, secretKey: Z85Key }).strict();
export type BusKeyPair = z.output<typeof BusKeyPair>;

const PeerName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, dot, dash, underscore');
const ServiceName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a service name like "room"');
/** `*` (every pattern: an operator), `room.*` (one service) or an exact pattern like `user.login`. */
const PatternRule = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9-]{0,31}\.\*|[a-z][a-z0-9-]{0,31}\.[A-Za-z0-9_.-]{1,200})$/, 'a pattern rule');

const MemberKindName = z.enum(['broadcast', 'relay', 'subscriber', 'publisher']);

const NamedKey = z.object({ name: PeerName, key: Z85Key }).strict();

/**
 * Who may talk to whom on the bus: public keys only, the same file for every process. Each server
 * admits only the keys listed for its role (docs/rpc-protocol.md and docs/broadcast-protocol.md).
 */
export const BusTrust = z
  .object({
    /** The public key the RPC brokers serve with (every broker replica holds this key pair). */
    rpcBroker: Z85Key,
    /** Broker backend: worker keys, each allowed only the services it lists. */
    workers: z.array(NamedKey.extend({ services: z.array(ServiceName).min(1) }).strict()).default([]),
    /** Broker frontend: caller keys, each allowed only the patterns it lists (`*`: an operator). */
    callers: z.array(NamedKey.extend({ patterns: z.array(PatternRule).min(1) }).strict()).default([]),
    /** The public key of the node manager (its ROUTER and PUB). */
    nodeManager: Z85Key.optional(),
    /** The public key broadcast nodes and relays serve with (their PULL and publish side). */
    broadcast: Z85Key.optional(),
    /** Broadcast node input: the keys that may push messages (room-service, relays). */
    publishers: z.array(NamedKey).default([]),
    /** Broadcast node and relay output: the keys that may subscribe (gateways, relays). */
    subscribers: z.array(NamedKey).default([]),
    /** Node manager: the keys that may join the cluster, each as the member kinds it lists. */
    members: z.array(NamedKey.extend({ kinds: z.array(MemberKindName).min(1) }).strict()).default([]),
  })
  .strict();
export type BusTrust = z.output<typeof BusTrust>;

/** How this process takes part in the bus: CURVE with its key pair and the trust list, or off. */
export type BusSecurity =
  | { mode: 'curve'; keyPair: BusKeyPair; trust: BusTrust }
  | { mode: 'off'; reason: string };

/** The bus security variables; `.extend(BusSecurityEnv.shape)` an app's schema with them. */
export const BusSecurityEnv = z.object({
  /** `curve` (the default) or `off`, for local experiments only: every peer is then admitted. */
  BUS_SECURITY: z.enum(['curve', 'off']).default('curve'),
  /** A JSON file `{"publicKey","secretKey"}` with this process's key pair (or the two below). */
  BUS_KEY_FILE: z.string().min(1).optional(),
  BUS_PUBLIC_KEY: Z85Key.optional(),
  BUS_SECRET_KEY: Z85Key.optional(),
  /** The trust file (BusTrust as JSON), or the JSON itself in BUS_TRUST. */
  BUS_TRUST_FILE: z.string().min(1).optional(),
  BUS_TRUST: z.string().min(2).optional(),
});
export type BusSecurityConfig = z.output<typeof BusSecurityEnv>;

/**
 * Reads this process's key pair and the trust list named by the config. Throws ConfigError (one
 * line) when CURVE is on and either is missing or invalid: a process never falls back to plain.
 */
export function resolveBusSecurity(config: BusSecurityConfig): BusSecurity {
  if (config.BUS_SECURITY === 'off') return { mode: 'off', reason: 'BUS_SECURITY=off' };
  return { mode: 'curve', keyPair: resolveKeyPair(config), trust: resolveTrust(config) };
}

function resolveKeyPair(config: BusSecurityConfig): BusKeyPair {
  if (config.BUS_KEY_FILE !== undefined) {
    return parseJson(BusKeyPair, readText(config.BUS_KEY_FILE, 'BUS_KEY_FILE'), 'BUS_KEY_FILE');
  }
  if (config.BUS_PUBLIC_KEY !== undefined && config.BUS_SECRET_KEY !== undefined) {
    return { publicKey: config.BUS_PUBLIC_KEY, secretKey: config.BUS_SECRET_KEY };
  }
  throw new ConfigError(
    'invalid configuration: BUS_SECURITY=curve needs BUS_KEY_FILE or BUS_PUBLIC_KEY and BUS_SECRET_KEY ' +
      '(make a key set with `npm run keys`; BUS_SECURITY=off turns the bus security off)',
  );
}

function resolveTrust(config: BusSecurityConfig): BusTrust {
  if (config.BUS_TRUST !== undefined) return parseJson(BusTrust, config.BUS_TRUST, 'BUS_TRUST');
  if (config.BUS_TRUST_FILE !== undefined) {
    return parseJson(BusTrust, readText(config.BUS_TRUST_FILE, 'BUS_TRUST_FILE'), 'BUS_TRUST_FILE');
  }
  throw new ConfigError('invalid configuration: BUS_SECURITY=curve needs BUS_TRUST_FILE or BUS_TRUST');
}

function readText(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`invalid configuration: ${variable}: cannot read ${path} (${code})`);
  }
}

function parseJson<S extends z.ZodType>(schema: S, text: string, variable: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`invalid configuration: ${variable}: not JSON`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
  );
  throw new ConfigError(`invalid configuration: ${variable}: ${problems.join('; ')}`);
}

/** A broadcast node's (or relay's) own key towards the node manager; `.extend()` its schema with it. */
export const BusMemberKeyEnv = z.object({
  /**
   * A JSON file `{"publicKey","secretKey"}`: this replica's own key pair for its DEALER to the node
   * manager (`broadcast-node-<i>.key.json` of the key set), listed in the trust list's `members`.
   * Its serving sockets keep BUS_KEY_FILE, the key every node shares.
   */
  BUS_MEMBER_KEY_FILE: z.string().min(1).optional(),
});
export type BusMemberKeyConfig = z.output<typeof BusMemberKeyEnv>;

/**
 * The security a node replica joins the node manager with: the same trust list, its own member key
 * pair. With CURVE on, the key must be given, listed as a member and not be the shared serving key
 * (which no trust list lists as a member), so a misconfigured replica stops at boot instead of
 * being refused by the node manager forever.
 */
export function resolveMemberSecurity(security: BusSecurity, config: BusMemberKeyConfig): BusSecurity {
  if (security.mode === 'off') return security;
  const file = config.BUS_MEMBER_KEY_FILE;
  if (file === undefined) {
    throw new ConfigError(
      "invalid configuration: BUS_SECURITY=curve needs BUS_MEMBER_KEY_FILE, this replica's own key " +
        'towards the node manager (broadcast-node-<i>.key.json of a key set from `npm run keys`)',
    );
  }
  const keyPair = parseJson(BusKeyPair, readText(file, 'BUS_MEMBER_KEY_FILE'), 'BUS_MEMBER_KEY_FILE');
  if (keyPair.publicKey === security.keyPair.publicKey) {
    throw new ConfigError(
      'invalid configuration: BUS_MEMBER_KEY_FILE is the shared serving key (BUS_KEY_FILE); give this replica its own',
    );
  }
  if (!security.trust.members.some((member) => member.key === keyPair.publicKey)) {
    throw new ConfigError(
      `invalid configuration: BUS_MEMBER_KEY_FILE: its public key is not among the trust list's members`,
    );
  }
  return { ...security, keyPair };
}

/** Like loadBusSecurity, for a node replica's member key: a wrong one stops the process (exit 1). */
export function loadMemberSecurity(security: BusSecurity, config: BusMemberKeyConfig): BusSecurity {
  try {
    return resolveMemberSecurity(security, config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** Like loadConfig: a wrong key or trust file stops the process with one line and exit code 1. */
export function loadBusSecurity(config: BusSecurityConfig): BusSecurity {
  try {
    const security = resolveBusSecurity(config);
    if (security.mode === 'off') warnBusSecurityOff();
    return security;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/** One JSON line (pino's shape, level warn) on stderr at each boot with the bus security off. */
function warnBusSecurityOff(): void {
  process.stderr.write(
    `${JSON.stringify({
      level: 40,
      time: Date.now(),
      pid: process.pid,
      busSecurity: 'off',
      msg: 'BUS SECURITY IS OFF (BUS_SECURITY=off): every ZeroMQ peer is admitted unauthenticated and unencrypted; for local experiments only',
    })}\n`,
  );
}
