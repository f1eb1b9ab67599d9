import { connect, type LiveClient, type RoomHandle } from '@live-im/client-sdk';
import { RoomRpc, UserRpc, type RpcContract } from '@live-im/contracts';
import { processAlive, sleep, testBusSecurity, waitFor } from '@live-im/testing';
import { RpcClient, SILENT_LOGGER } from '@live-im/zmq-transport';
import { LiveApi } from './support/live-api';
import { registerUser, roomIdFor } from './support/fixtures';
import { Pm2System } from './support/pm2-system';

const RECONNECT = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };
/** One instance of each kind; the ecosystem runs two of every kind but the node manager. */
const VICTIMS = [
  'rpc-broker-1',
  'user-service-1',
  'room-service-1',
  'node-manager',
  'broadcast-node-1',
  'gateway-1',
];
// Generous for a loaded 2-core machine; pm2 restarts the first time after 200 ms.
const BACK_READY_TIMEOUT_MS = 30_000;

interface Pm2Entry {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number };
}

/**
 * deploy/pm2/ecosystem.config.js as a supervisor, under light traffic (viewers chatting on both
 * gateways, business pushes, an RPC caller): an instance of every kind killed with SIGKILL (what
 * the OOM killer does) is restarted and ready again within seconds, and one stopped through
 * `pm2 stop` stays stopped.
 */
describe('pm2 restarts what dies and keeps stopped what it stopped', () => {
  const system = new Pm2System('restart');
  const clients: LiveClient[] = [];
  let rpc: RpcClient | undefined;
  let running = false;
  let load: Promise<unknown> = Promise.resolve();

  const list = async (): Promise<Map<string, Pm2Entry>> => {
    const result = await system.pm2('jlist');
    if (result.code !== 0) throw new Error(`pm2 jlist failed: ${result.stderr}`);
    return new Map((JSON.parse(result.stdout) as Pm2Entry[]).map((entry) => [entry.name, entry]));
  };

  beforeAll(async () => {
    await system.start();
  }, 90_000);

  afterAll(async () => {
    running = false;
    await load;
    for (const client of clients) client.close();
    await rpc?.close();
    await system.destroy();
  }, 60_000);

  it('kill -9 of an instance of each kind: pm2 starts it again and it is ready within seconds', async () => {
    const gateways = [system.url('gateway-1'), system.url('gateway-2')];
    const api = new LiveApi(gateways[1], system.secrets.API_KEY);
    const roomId = roomIdFor('pm2-restart');
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'pm2 restart', owner.user.userId);

    const rooms: RoomHandle[] = [];
    const pushed: Array<Set<unknown>> = [];
    for (let i = 0; i < 2; i += 1) {
      const session = await registerUser(api, `viewer${i}`);
      const client = connect({
        url: i === 0 ? gateways : [...gateways].reverse(),
        token: session.token,
        transports: ['websocket'],
        reconnect: RECONNECT,
      });
      clients.push(client);
      const room = await client.joinRoom(roomId);
      const seen = new Set<unknown>();
      room.on('message', (message) => {
        if (message.lane === 'important') seen.add(message.body['tick']);
      });
      rooms.push(room);
      pushed.push(seen);
    }

    // Light traffic for the whole test; calls and sends during a restart may fail, that is expected.
    running = true;
    rpc = new RpcClient({
      brokers: system.envOf('gateway-2')['RPC_BROKER_FRONTENDS'].split(','),
      logger: SILENT_LOGGER,
      // The bus is secured under the ecosystem: an operator's key of the run's key set.
      security: testBusSecurity('rpc-cli'),
    });
    const call = <C extends RpcContract>(contract: C, payload: unknown) =>
      rpc!.call(contract.pattern, payload, {
        idempotent: contract.idempotent,
        timeoutMs: contract.timeoutMs,
      });
    load = Promise.all([
      (async () => {
        while (running) {
          await call(UserRpc.getProfile, { userId: owner.user.userId }).catch(() => undefined);
          await call(RoomRpc.get, { roomId }).catch(() => undefined);
          // A throttle, not a wait: calls fail fast during a restart and must not spin a core.
          await sleep(50);
        }
      })(),
      (async () => {
        for (let tick = 0; running; tick += 1) {
          await api
            .push(roomId, { lane: 'important', type: 'custom', body: { tick } })
            .catch(() => undefined);
          // A throttle, not a wait: light background traffic.
          await sleep(250);
        }
      })(),
      ...rooms.map(async (room, i) => {
        for (let n = 0; running; n += 1) {
          await room.sendChat(`viewer ${i} says ${n}`).catch(() => undefined);
          // A throttle, not a wait: light background traffic.
          await sleep(400);
        }
      }),
    ]);

    for (const name of VICTIMS) {
      const before = (await list()).get(name);
      expect({ name, status: before?.pm2_env.status }).toEqual({ name, status: 'online' });
      const oldPid = before!.pid;
      process.kill(oldPid, 'SIGKILL');
      await waitFor(() => !processAlive(oldPid), {
        timeoutMs: 30_000,
        what: `${name} (pid ${oldPid}) to die`,
      });

      const after = await waitFor(
        async () => {
          const entry = (await list()).get(name);
          const back = entry?.pm2_env.status === 'online' && entry.pid !== oldPid && entry.pid > 0;
          return back && (await system.ready(name)) ? entry : undefined;
        },
        { timeoutMs: BACK_READY_TIMEOUT_MS, intervalMs: 200, what: `${name} restarted by pm2 and ready` },
      );
      expect(after.pm2_env.restart_time).toBe(before!.pm2_env.restart_time + 1);
      expect(processAlive(after.pid)).toBe(true);
    }

    // The system still serves after all of it: RPC answers and a push reaches both viewers.
    await waitFor(() => call(RoomRpc.get, { roomId }).then(() => true), {
      timeoutMs: 20_000,
      what: 'an RPC answer',
    });
    await waitFor(
      async () => {
        await api.push(roomId, { lane: 'important', type: 'custom', body: { tick: 'after' } });
        return pushed.every((seen) => seen.has('after'));
      },
      { timeoutMs: 30_000, intervalMs: 1000, what: 'a push after the restarts to reach both viewers' },
    );
    running = false;
    await load;
  }, 300_000);

  it('an app stopped with `pm2 stop` stays stopped', async () => {
    const name = 'room-service-2';
    const before = (await list()).get(name);
    expect(before?.pm2_env.status).toBe('online');
    const oldPid = before!.pid;

    const stopped = await system.pm2('stop', name);
    expect({ code: stopped.code, stderr: stopped.stderr }).toEqual({ code: 0, stderr: '' });
    await waitFor(() => !processAlive(oldPid), { timeoutMs: 40_000, what: `${name} to exit` });
    // Proving pm2 does NOT restart it: a window to watch, many times the 200 ms a restart would take.
    await sleep(5_000);

    const after = (await list()).get(name);
    expect({ status: after?.pm2_env.status, pid: after?.pid, restarts: after?.pm2_env.restart_time }).toEqual(
      {
        status: 'stopped',
        pid: 0,
        restarts: before!.pm2_env.restart_time,
      },
    );
    expect(await system.ready(name)).toBe(false);
  }, 90_000);
});
