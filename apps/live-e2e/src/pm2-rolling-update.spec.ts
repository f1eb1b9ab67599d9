import { connect, type LiveClient, type RoomHandle } from '@live-im/client-sdk';
import { RoomRpc, UserRpc, type RpcContract } from '@live-im/contracts';
import { sleep, testBusSecurity, waitFor } from '@live-im/testing';
import { RpcClient, SILENT_LOGGER } from '@live-im/zmq-transport';
import { ApiError, LiveApi, type PushRequest } from './support/live-api';
import { importantLaneLog, PASSWORD, registerUser, roomIdFor, unique } from './support/fixtures';
import { Pm2System, runNode } from './support/pm2-system';

const RECONNECT = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };
const VIEWERS = 8;

/**
 * deploy/scripts/pm2-rolling-update.js against the whole system under pm2 (two brokers, two of
 * each worker, two broadcast nodes, two gateways) while viewers chat and watch, the business
 * pushes important messages and an RPC caller keeps calling: every instance restarts once, no RPC
 * call fails (non-idempotent ones included), and every viewer ends with every important message
 * of the room log.
 */
describe('rolling update under load (pm2)', () => {
  const system = new Pm2System('rolling');
  const clients: LiveClient[] = [];
  let rpc: RpcClient | undefined;
  /** The load loops run while this is true; a failed assertion must not leave them running. */
  let running = false;

  beforeAll(async () => {
    await system.start();
  }, 90_000);

  afterAll(async () => {
    running = false;
    for (const client of clients) client.close();
    await rpc?.close();
    await system.destroy();
  }, 60_000);

  it('restarts every instance one at a time: zero failed RPC calls, every viewer gets every important message', async () => {
    const gateways = [system.url('gateway-1'), system.url('gateway-2')];
    const apis = gateways.map((url) => new LiveApi(url, system.secrets.API_KEY));
    const api = apis[0];
    const roomId = roomIdFor('rolling');
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'rolling update', owner.user.userId);

    // Viewers, half starting on each gateway; the SDK moves them and resumes when theirs restarts.
    const rooms: RoomHandle[] = [];
    const received: Array<Map<string, number>> = [];
    for (let i = 0; i < VIEWERS; i += 1) {
      const session = await registerUser(api, `viewer${i}`);
      const client = connect({
        url: i % 2 === 0 ? gateways : [...gateways].reverse(),
        token: session.token,
        transports: ['websocket'],
        reconnect: RECONNECT,
      });
      clients.push(client);
      const room = await client.joinRoom(roomId);
      const seen = new Map<string, number>();
      room.on('message', (message) => {
        if (message.lane === 'important') seen.set(message.id, message.seq);
      });
      rooms.push(room);
      received.push(seen);
    }
    const startSeq = rooms[0].seqs.important;

    running = true;
    // RPC load straight at both brokers, as an internal team's service would call.
    rpc = new RpcClient({
      brokers: system.envOf('gateway-1')['RPC_BROKER_FRONTENDS'].split(','),
      logger: SILENT_LOGGER,
      // The bus is secured under the ecosystem: an operator's key of the run's key set.
      security: testBusSecurity('rpc-cli'),
    });
    const rpcFailures: string[] = [];
    let rpcCalls = 0;
    const call = async <C extends RpcContract>(contract: C, payload: unknown): Promise<void> => {
      rpcCalls += 1;
      try {
        await rpc!.call(contract.pattern, payload, {
          idempotent: contract.idempotent,
          timeoutMs: contract.timeoutMs,
        });
      } catch (error) {
        rpcFailures.push(`${contract.pattern}: ${(error as Error).message}`);
      }
    };
    const rpcLoad = Promise.all(
      [0, 1, 2].map(async (lane) => {
        for (let i = 0; running; i += 1) {
          if (lane === 0 && i % 5 === 0) {
            // Not idempotent: a lost call could not be re-sent.
            await call(UserRpc.register, {
              username: `roll_${unique()}`,
              password: PASSWORD,
              nickname: 'roll',
            });
          } else if (lane === 1) {
            await call(UserRpc.getProfile, { userId: owner.user.userId });
          } else {
            await call(RoomRpc.get, { roomId });
          }
          // A throttle, not a wait: steady RPC traffic without spinning a core.
          await sleep(20);
        }
      }),
    );

    // The business pushes important messages through whichever gateway answers.
    let pushesAccepted = 0;
    const push = async (body: PushRequest): Promise<void> => {
      for (let attempt = 0; attempt < 40; attempt += 1) {
        try {
          await apis[attempt % 2].push(roomId, body);
          pushesAccepted += 1;
          return;
        } catch (error) {
          if (error instanceof ApiError && error.status < 500) throw error;
          // A retry pause, not a wait: the other gateway may be the one restarting.
          await sleep(100);
        }
      }
      throw new Error('no gateway took the push for 4 s');
    };
    const pushes = (async () => {
      for (let tick = 0; running; tick += 1) {
        await push({ lane: 'important', type: 'custom', body: { tick } }).catch((error: unknown) => {
          // After a failed test the system is gone: the loop only has to end.
          if (running) throw error;
        });
        // A throttle, not a wait: light background traffic.
        await sleep(150);
      }
    })();
    // Some viewers chat; a send during a reconnect may fail, the traffic is what matters here.
    const chats = Promise.all(
      rooms.slice(0, 3).map(async (room, i) => {
        for (let n = 0; running; n += 1) {
          await room.sendChat(`viewer ${i} says ${n}`).catch(() => undefined);
          // A throttle, not a wait: light background traffic.
          await sleep(300);
        }
      }),
    );

    // The traffic runs before the roll starts.
    await waitFor(() => rpcCalls >= 20 && pushesAccepted >= 3, { what: 'traffic before the roll' });
    const [callsBefore, pushesBefore] = [rpcCalls, pushesAccepted];
    const rolled = await runNode(
      ['deploy/scripts/pm2-rolling-update.js', '--pause-ms', '1000'],
      system.env,
      180_000,
    );
    expect({ code: rolled.code, stderr: rolled.stderr }).toEqual({ code: 0, stderr: '' });
    for (const app of system.apps) expect(rolled.stdout).toContain(`${app.name}: serving again`);

    // A little traffic on the rolled system, then quiet.
    const [callsRolled, pushesRolled] = [rpcCalls, pushesAccepted];
    // Traffic ran all through the roll (a second's pause per app): some for every app restarted.
    expect(callsRolled - callsBefore).toBeGreaterThanOrEqual(10 * system.apps.length);
    expect(pushesRolled - pushesBefore).toBeGreaterThanOrEqual(system.apps.length);
    await waitFor(() => rpcCalls >= callsRolled + 20 && pushesAccepted >= pushesRolled + 3, {
      timeoutMs: 30_000,
      what: 'traffic on the rolled system',
    });
    running = false;
    await Promise.all([rpcLoad, pushes, chats]);

    expect(rpcFailures).toEqual([]);

    // The final push makes any viewer still behind see its gap and fill it from history.
    await push({ lane: 'important', type: 'custom', body: { tick: 'last' } });
    const log = await importantLaneLog(rooms[0], startSeq);
    const logIds = log.map((m) => m.id);
    expect(logIds.length).toBeGreaterThanOrEqual(pushesAccepted);
    await waitFor(() => received.every((seen) => logIds.every((id) => seen.has(id))), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'every viewer to hold every important message of the log',
    });
  }, 300_000);

  it('scales room workers and broadcast nodes out and back in while running', async () => {
    const scale = (kind: string, count: number) =>
      runNode(['deploy/scripts/pm2-scale.js', kind, String(count)], system.env, 120_000);
    const roomWorkers = async () => (await rpc!.stats(0)).services['room']?.workers.length ?? 0;
    const nodeStates = async () => {
      const view = (await (await fetch(`${system.url('node-manager')}/cluster`)).json()) as {
        nodes: Array<{ id: string; state: string }>;
      };
      return Object.fromEntries(view.nodes.map((n) => [n.id, n.state]));
    };

    expect((await scale('room-service', 3)).code).toBe(0);
    await waitFor(async () => (await roomWorkers()) === 3, { what: 'a third room worker at the broker' });
    expect((await scale('broadcast-node', 3)).code).toBe(0);
    expect(await nodeStates()).toMatchObject({ 'bn-1': 'active', 'bn-2': 'active', 'bn-3': 'active' });

    expect((await scale('room-service', 2)).code).toBe(0);
    await waitFor(async () => (await roomWorkers()) === 2, {
      what: 'the third room worker to leave the broker',
    });
    expect((await scale('broadcast-node', 2)).code).toBe(0);
    await waitFor(async () => (await nodeStates())['bn-3'] !== 'active', {
      what: 'bn-3 to leave the topology',
    });
    const refused = await scale('rpc-broker', 3);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('brokers are not scaled at run time');
  }, 180_000);
});
