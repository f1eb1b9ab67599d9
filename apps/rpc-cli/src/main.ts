import { parseArgs } from 'node:util';
import { RPC_CONTRACTS, RpcError, findContract } from '@live-im/contracts';
import {
  BusSecurityEnv,
  ConfigError,
  parseConfig,
  envEndpointList,
  resolveBusSecurity,
} from '@live-im/config';
import {
  DEFAULT_REPLICA_KEYS,
  makeBusKeySet,
  MAX_REPLICA_KEYS,
  RpcClient,
  SYSTEM_BUS_MEMBERS,
  TEST_BUS_MEMBERS,
  TransportLogger,
  writeBusKeySet,
} from '@live-im/zmq-transport';
import { z } from 'zod';
import { contractListing } from './contract-listing';
import { renderBrokerStats } from './render';

const USAGE = `usage: npm run rpc -- <command> [options]

commands:
  services                       services, workers, in-flight and queue depth on every broker
  contracts                      every RPC operation: pattern, idempotent, deadline, description
                                 (with --json: also the request and response JSON Schemas; the
                                 same listing ships as docs/rpc-contracts.json)
  call <pattern> '<json>'        call an operation and print its reply (exit 1 on an error reply)
  keys <dir>                     write a fresh bus key set: <member>.key.json per process (secret,
                                 owner-only) and trust.json (public keys and grants) for all,
                                 plus broadcast-node-<i>.key.json, each node replica's own key
                                 towards the node manager (i = 0 .. --nodes - 1);
                                 --test adds the peers the e2e suites run in-process

options:
  --brokers <list>               broker frontends, comma separated (env RPC_BROKER_FRONTENDS,
                                 default tcp://127.0.0.1:5555)
  --timeout <ms>                 deadline of a call (default: the contract's)
  --json                         machine-readable output
  --nodes <n>                    keys: how many broadcast node (and relay) replica keys, 1..${MAX_REPLICA_KEYS}
                                 (default ${DEFAULT_REPLICA_KEYS}); make at least as many as replicas run

bus security (env, as every app): BUS_KEY_FILE (this CLI's key pair, an operator key in the
trust list) and BUS_TRUST_FILE; BUS_SECURITY=off talks plain to a broker run with it off.`;

/** Connection chatter stays out of the command's output; problems still reach stderr. */
const quietLogger: TransportLogger = {
  log: () => undefined,
  warn: (message) => process.stderr.write(`warn: ${message}\n`),
  error: (message) => process.stderr.write(`error: ${message}\n`),
};

const Env = z.object({
  RPC_BROKER_FRONTENDS: envEndpointList('tcp://127.0.0.1:5555'),
  ...BusSecurityEnv.shape,
});

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** `--nodes`: a whole number of replica keys in range, or the default. */
function replicaCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_REPLICA_KEYS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_REPLICA_KEYS) {
    fail(`--nodes must be an integer from 1 to ${MAX_REPLICA_KEYS}, got "${raw}"`);
  }
  return n;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      test: { type: 'boolean', default: false },
      nodes: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (command === 'keys') {
    const [dir] = rest;
    if (dir === undefined) fail(`keys needs a directory\n\n${USAGE}`);
    const replicas = replicaCount(values.nodes);
    writeBusKeySet(dir, makeBusKeySet(values.test ? TEST_BUS_MEMBERS : SYSTEM_BUS_MEMBERS, { replicas }));
    process.stdout.write(
      `bus key set written to ${dir} (trust.json, one <member>.key.json each, ` +
        `broadcast-node-0..${replicas - 1}.key.json for the node replicas)\n`,
    );
    return 0;
  }
  const config = parseConfig(Env, {
    ...process.env,
    RPC_BROKER_FRONTENDS: values.brokers ?? process.env['RPC_BROKER_FRONTENDS'],
  });
  const brokers = config.RPC_BROKER_FRONTENDS;

  if (command === 'contracts') {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(contractListing(), null, 2)}\n`);
      return 0;
    }
    for (const contract of RPC_CONTRACTS.values()) {
      const flags = `${contract.idempotent ? 'idempotent' : 'once'} ${contract.timeoutMs}ms`;
      process.stdout.write(`${contract.pattern.padEnd(22)} ${flags.padEnd(18)} ${contract.description}\n`);
    }
    return 0;
  }

  let security;
  try {
    security = resolveBusSecurity(config);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (security.mode === 'off')
    quietLogger.warn('bus security is off (BUS_SECURITY=off): talking plain to the brokers');
  const client = new RpcClient({ brokers, heartbeatMs: 500, logger: quietLogger, security });
  client.start();
  try {
    if (command === 'services') return await services(client, brokers, values.json);
    if (command === 'call') return await call(client, rest, values.timeout, values.json);
    fail(`unknown command "${command}"\n\n${USAGE}`);
  } finally {
    await client.close();
  }
}

async function services(client: RpcClient, brokers: string[], json: boolean): Promise<number> {
  let failures = 0;
  const all = await Promise.all(
    brokers.map((endpoint, index) =>
      client.stats(index, 3000).then(
        (stats) => ({ endpoint, stats }),
        (error: unknown) => {
          failures += 1;
          return { endpoint, error: RpcError.from(error).toBody() };
        },
      ),
    ),
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  } else {
    for (const entry of all) {
      const text =
        'stats' in entry
          ? renderBrokerStats(entry.endpoint, entry.stats)
          : `broker at ${entry.endpoint}: ${entry.error.code} ${entry.error.message}`;
      process.stdout.write(`${text}\n\n`);
    }
  }
  return failures === brokers.length ? 1 : 0;
}

async function call(
  client: RpcClient,
  args: string[],
  timeout: string | undefined,
  json: boolean,
): Promise<number> {
  const [pattern, body = '{}'] = args;
  if (pattern === undefined) fail(`call needs a pattern\n\n${USAGE}`);
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    fail(`the payload is not JSON: ${body}`);
  }
  const contract = findContract(pattern);
  const timeoutMs = timeout === undefined ? (contract?.timeoutMs ?? 5000) : Number(timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    fail('--timeout must be a positive number of milliseconds');
  try {
    // Unknown patterns are sent too: the broker and the worker say what is wrong with them.
    const reply = await client.call(pattern, payload, {
      timeoutMs,
      idempotent: contract?.idempotent ?? false,
    });
    process.stdout.write(`${JSON.stringify(reply, null, json ? 0 : 2)}\n`);
    return 0;
  } catch (error) {
    const body = RpcError.from(error).toBody();
    process.stderr.write(json ? `${JSON.stringify(body)}\n` : `${body.code}: ${body.message}\n`);
    if (!json && body.details) process.stderr.write(`${JSON.stringify(body.details, null, 2)}\n`);
    return 1;
  }
}

// Output piped into `head` and the like: a closed pipe ends the command, it is not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main().then(
  // Exit once stdout is flushed: into a pipe, output past 64 KiB is still on its way.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => fail(`rpc: ${error instanceof Error ? error.message : String(error)}`, 1),
);
