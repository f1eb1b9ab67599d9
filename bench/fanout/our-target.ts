import { randomBytes } from 'node:crypto';
import { isRpcErrorBody } from '@live-im/contracts';
import {
  deleteKeysWithPrefix,
  ProcessGroup,
  freePorts,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
} from '@live-im/testing';
import { RunningTarget } from './plain-target';

/**
 * Our system as a target: the built apps as separate processes on loopback, against the local
 * Redis under a key prefix of their own. Only the gateway is measured; the rest (broker,
 * user-service, room-service, node manager, one broadcast node) is reported, not counted.
 */
export interface OurTargetSettings {
  senders: number;
  normalCapPerSec: number;
  /** Extra node flags per app (by app name), e.g. --cpu-prof to see where its CPU goes. */
  nodeArgs?: Partial<Record<string, string[]>>;
}

/** Rate limits that would refuse the bench's own load, raised so they never trigger. */
const UNLIMITED = '1000000';

interface Session {
  token: string;
  user: { userId: string };
}

export async function startOurTarget(settings: OurTargetSettings): Promise<RunningTarget> {
  const keyPrefix = uniqueKeyPrefix('bench:fanout');
  const apiKey = randomBytes(24).toString('hex');
  const apps = new ProcessGroup();
  const stop = async () => {
    // Clients first (the run closed them), then top down, so no app logs its peers vanishing.
    await apps.stopAll(10_000);
    await deleteKeysWithPrefix(keyPrefix).catch(() => undefined);
  };
  try {
    const ports = await freePorts(12);
    const next = () => ports.shift() as number;
    const tcp = (port: number) => `tcp://127.0.0.1:${port}`;
    const brokerFrontend = tcp(next());
    const brokerBackend = tcp(next());
    const nmRouter = tcp(next());
    const nmPub = tcp(next());
    const common = { REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: keyPrefix, LOG_LEVEL: 'warn' };
    const start = async (app: string, label: string, env: Record<string, string>) =>
      apps.start(app, {
        httpPort: next(),
        label: `bench-fanout-${label}`,
        nodeArgs: settings.nodeArgs?.[app] ?? [],
        env: { ...common, INSTANCE_ID: `bench-${label}`, ...env },
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
        NORMAL_CAP_PER_SEC: String(settings.normalCapPerSec),
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
        USER_RATE_POINTS: UNLIMITED,
        USER_RATE_WINDOW_SEC: '1',
        ROOM_RATE_POINTS: UNLIMITED,
        ROOM_RATE_WINDOW_SEC: '1',
      }),
    ]);
    const gateway = await start('gateway', 'gw', {
      RPC_BROKER_FRONTENDS: brokerFrontend,
      NM_ROUTER: nmRouter,
      NM_PUB: nmPub,
      API_KEY: apiKey,
      CONNECTS_PER_IP_PER_SEC: UNLIMITED,
      AUTH_PER_IP_PER_SEC: UNLIMITED,
      JOINS_PER_SOCKET_PER_SEC: '1000',
      EVENTS_PER_SOCKET_PER_SEC: '100000',
    });
    await waitForBroadcastMesh(manager.url, 'bench-bn1');

    const api = new GatewayApi(gateway.url, apiKey);
    const runId = randomBytes(3).toString('hex');
    // The first call waits out the workers' registration at the broker.
    const first = await waitFor(() => api.register(`bench_${runId}_0`, 'sender0').catch(() => undefined), {
      timeoutMs: 20_000,
      intervalMs: 200,
      what: 'user-service behind the gateway',
    });
    const sessions: Session[] = [first];
    for (let i = 1; i < settings.senders; i += 1)
      sessions.push(await api.register(`bench_${runId}_${i}`, `sender${i}`));
    const roomId = `bench-fanout-${runId}`;
    await waitFor(
      () =>
        api
          .createRoom(roomId, first.user.userId)
          .then(() => true)
          .catch(() => false),
      {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: 'room-service behind the gateway',
      },
    );
    const giftIds = await api.giftIds();
    return {
      target: {
        name: 'live-im gateway',
        flavor: 'ours',
        url: gateway.url,
        roomId,
        senderTokens: sessions.map((session) => session.token),
        giftIds,
        serverPid: gateway.pid,
        otherPids: {
          'rpc-broker': broker.pid,
          'user-service': userService.pid,
          'room-service': roomService.pid,
          'node-manager': manager.pid,
          'broadcast-node': node.pid,
        },
        metricsUrls: {
          gateway: `${gateway.url}/metrics`,
          'broadcast-node': `${node.url}/metrics`,
          'room-service': `${roomService.url}/metrics`,
        },
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The node is active and the gateway subscribes to it, so the first message is not lost to a forming topology. */
async function waitForBroadcastMesh(managerUrl: string, nodeId: string): Promise<void> {
  interface ClusterView {
    nodes: Array<{ id: string; state: string }>;
    members: Array<{ kind: string; connected?: string[] }>;
  }
  await waitFor(
    async () => {
      const view = (await (await fetch(`${managerUrl}/cluster`)).json()) as ClusterView;
      const active = view.nodes.some((n) => n.id === nodeId && n.state === 'active');
      const subscribed = view.members.some((m) => m.kind === 'subscriber' && m.connected?.includes(nodeId));
      const publishing = view.members.some((m) => m.kind === 'publisher');
      return active && subscribed && publishing;
    },
    {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'the broadcast node active, with the gateway and room-service on it',
    },
  );
}

/** The few calls of the gateway's HTTP API the bench needs. */
class GatewayApi {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  register(username: string, nickname: string): Promise<Session> {
    return this.call<Session>('POST', '/api/auth/register', {
      username,
      password: 'bench-password',
      nickname,
    });
  }

  createRoom(roomId: string, ownerId: string): Promise<unknown> {
    return this.call('POST', '/api/rooms', { roomId, title: 'bench/fanout', ownerId }, true);
  }

  async giftIds(): Promise<string[]> {
    const answer = await this.call<Array<{ giftId: string }> | { gifts: Array<{ giftId: string }> }>(
      'GET',
      '/api/gifts',
    );
    const gifts = Array.isArray(answer) ? answer : answer.gifts;
    if (gifts.length === 0) throw new Error('the gift catalogue is empty');
    return gifts.map((gift) => gift.giftId);
  }

  private async call<T>(method: string, path: string, body?: unknown, withApiKey = false): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (withApiKey) headers['x-api-key'] = this.apiKey;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const error = isRpcErrorBody(answer) ? `${answer.code}: ${answer.message}` : JSON.stringify(answer);
      throw new Error(`${method} ${path} answered ${res.status} ${error}`);
    }
    return answer as T;
  }
}
