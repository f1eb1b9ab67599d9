import { randomBytes } from 'node:crypto';
import {
  deleteKeysWithPrefix,
  freePorts,
  ProcessGroup,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
} from '@live-im/testing';
import { GatewayApi, Session } from './gateway-api';
import { loopbackSource } from './source-address';

/**
 * Our system for a bench: the built apps as separate processes on loopback (rpc-broker,
 * node-manager, one broadcast node, user-service, room-service and one or more gateways), against
 * the local Redis under a key prefix of their own, with one room and its signed-in senders.
 * Every setting runs at its shipped default unless the bench overrides it, and each override is
 * listed in `overrides` for the bench to print.
 */
export interface OurSystemSettings {
  /** Names the key prefix, the log files and the room. */
  label: string;
  gateways: number;
  /** Users registered to send chat and gifts (each from a source address of its own block). */
  senders: number;
  /** Env overrides per app name ('gateway', 'room-service', 'broadcast-node'...). */
  overrides?: Partial<Record<string, Record<string, string>>>;
  /** Extra node flags per app, e.g. --cpu-prof; gateways get `gatewayNodeArgs(index)` too. */
  nodeArgs?: Partial<Record<string, string[]>>;
  gatewayNodeArgs?: (index: number) => string[];
}

export interface RunningGateway {
  url: string;
  pid: number;
  metricsUrl: string;
}

export interface OurSystem {
  gateways: RunningGateway[];
  api: GatewayApi;
  roomId: string;
  senderTokens: string[];
  giftIds: string[];
  /** Processes of the rest of the system, by app name (reported, not counted). */
  otherPids: Record<string, number>;
  /** /metrics of the other apps worth scraping (drop counters, event-loop delay). */
  otherMetricsUrls: Record<string, string>;
  /** `APP: NAME=value` for every setting changed from its shipped default. */
  overrides: string[];
  stop(): Promise<void>;
}

/** The source address block of the senders' registrations (viewers and sender sockets use others). */
export const REGISTER_ADDRESS_BLOCK = 3;

export async function startOurSystem(settings: OurSystemSettings): Promise<OurSystem> {
  const keyPrefix = uniqueKeyPrefix(`bench:${settings.label}`);
  const apiKey = randomBytes(24).toString('hex');
  const apps = new ProcessGroup();
  const stop = async () => {
    // Top down, so no app logs its peers vanishing.
    await apps.stopAll(10_000);
    await deleteKeysWithPrefix(keyPrefix).catch(() => undefined);
  };
  const overridesOf = (app: string) => settings.overrides?.[app] ?? {};
  const overrides = Object.entries(settings.overrides ?? {}).flatMap(([app, env]) =>
    Object.entries(env ?? {}).map(([name, value]) => `${app}: ${name}=${value}`),
  );
  try {
    const ports = await freePorts(10 + 2 * settings.gateways);
    const next = () => ports.shift() as number;
    const tcp = (port: number) => `tcp://127.0.0.1:${port}`;
    const brokerFrontend = tcp(next());
    const brokerBackend = tcp(next());
    const nmRouter = tcp(next());
    const nmPub = tcp(next());
    const common = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'warn' };
    const start = (app: string, label: string, env: Record<string, string>, nodeArgs: string[] = []) =>
      apps.start(app, {
        httpPort: next(),
        label: `bench-${settings.label}-${label}`,
        nodeArgs: [...(settings.nodeArgs?.[app] ?? []), ...nodeArgs],
        env: { ...common, INSTANCE_ID: `bench-${label}`, ...env, ...overridesOf(app) },
      });

    const [broker, manager] = await Promise.all([
      start('rpc-broker', 'broker', { RPC_FRONTEND_BIND: brokerFrontend, RPC_BACKEND_BIND: brokerBackend }),
      start('node-manager', 'nm', { NM_ROUTER_BIND: nmRouter, NM_PUB_BIND: nmPub }),
    ]);
    const [node, userService, roomService] = await Promise.all([
      start('broadcast-node', 'bn1', {
        NODE_ID: 'bench-bn1',
        BCAST_PULL_BIND: tcp(next()),
        BCAST_PUB_BIND: tcp(next()),
        NM_ROUTER: nmRouter,
        NM_PUB: nmPub,
      }),
      start('user-service', 'user', {
        RPC_BROKER_BACKENDS: brokerBackend,
        JWT_SECRET: randomBytes(32).toString('hex'),
      }),
      start('room-service', 'room', {
        RPC_BROKER_BACKENDS: brokerBackend,
        RPC_BROKER_FRONTENDS: brokerFrontend,
        NM_ROUTER: nmRouter,
        NM_PUB: nmPub,
      }),
    ]);
    const gateways = await Promise.all(
      Array.from({ length: settings.gateways }, (_, i) =>
        start(
          'gateway',
          `gw${i}`,
          { RPC_BROKER_FRONTENDS: brokerFrontend, NM_ROUTER: nmRouter, NM_PUB: nmPub, API_KEY: apiKey },
          settings.gatewayNodeArgs?.(i) ?? [],
        ),
      ),
    );
    await waitForBroadcastMesh(manager.url, 'bench-bn1', settings.gateways);

    const first = gateways[0];
    if (first === undefined) throw new Error('a system needs at least one gateway');
    const api = new GatewayApi(first.url, apiKey);
    const runId = randomBytes(3).toString('hex');
    const register = (i: number) =>
      api.register(`bench_${runId}_${i}`, `sender${i}`, loopbackSource(REGISTER_ADDRESS_BLOCK, i, 20));
    // The first call waits out the workers' registration at the broker.
    const owner = await waitFor(() => register(0).catch(() => undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'user-service behind the gateway',
    });
    const sessions: Session[] = [owner];
    for (let i = 1; i < settings.senders; i += 10) {
      const wave = Array.from({ length: Math.min(10, settings.senders - i) }, (_, k) => register(i + k));
      sessions.push(...(await Promise.all(wave)));
    }
    const roomId = `bench-${settings.label}-${runId}`;
    await waitFor(
      () =>
        api
          .createRoom(roomId, owner.user.userId, `bench/${settings.label}`)
          .then(() => true)
          .catch(() => false),
      { timeoutMs: 20_000, intervalMs: 200, what: 'room-service behind the gateway' },
    );
    return {
      gateways: gateways.map((gw) => ({ url: gw.url, pid: gw.pid, metricsUrl: `${gw.adminUrl}/metrics` })),
      api,
      roomId,
      senderTokens: sessions.map((session) => session.token),
      giftIds: await api.giftIds(),
      otherPids: {
        'rpc-broker': broker.pid,
        'user-service': userService.pid,
        'room-service': roomService.pid,
        'node-manager': manager.pid,
        'broadcast-node': node.pid,
      },
      otherMetricsUrls: {
        'broadcast-node': `${node.adminUrl}/metrics`,
        'room-service': `${roomService.adminUrl}/metrics`,
      },
      overrides,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The node is active and every gateway subscribes to it, so the first message is not lost to a forming topology. */
async function waitForBroadcastMesh(managerUrl: string, nodeId: string, gateways: number): Promise<void> {
  interface ClusterView {
    nodes: Array<{ id: string; state: string }>;
    members: Array<{ kind: string; connected?: string[] }>;
  }
  await waitFor(
    async () => {
      const view = (await (await fetch(`${managerUrl}/cluster`)).json()) as ClusterView;
      const active = view.nodes.some((n) => n.id === nodeId && n.state === 'active');
      const subscribed = view.members.filter(
        (m) => m.kind === 'subscriber' && m.connected?.includes(nodeId),
      ).length;
      const publishing = view.members.some((m) => m.kind === 'publisher');
      return active && subscribed >= gateways && publishing;
    },
    {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: `the broadcast node active, with ${gateways} gateway(s) and room-service on it`,
    },
  );
}
