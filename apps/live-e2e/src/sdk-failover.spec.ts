import {
  connect,
  type ConnectionState,
  type GapEvent,
  type LiveClient,
  type LiveError,
  type RoomMessage,
} from '@live-im/client-sdk';
import { waitFor } from '@live-im/testing';
import { LiveCluster } from './support/live-cluster';
import { importantLaneLog, registerUser, roomIdFor, runProblems } from './support/fixtures';

/** The SDK's reconnect delays, short so the test does not wait on them. */
const RECONNECT = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

describe('client SDK: kill -9 of the gateway a client is on', () => {
  let cluster: LiveCluster;
  const clients: LiveClient[] = [];
  const roomId = roomIdFor('sdk-failover');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'sdk-failover',
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api(1);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'sdk failover', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.close();
  });

  it('reconnects to the other gateway, resumes, and ends with every important seq once, in order', async () => {
    const [gateway0, gateway1] = cluster.gateways;
    if (!gateway0 || !gateway1) throw new Error('two gateways expected');
    const api = cluster.api(1);
    const viewerSession = await registerUser(api, 'viewer');
    const gifterSession = await registerUser(api, 'gifter');

    const viewer = connect({
      url: [gateway0.url, gateway1.url],
      token: viewerSession.token,
      transports: ['websocket'],
      reconnect: RECONNECT,
    });
    clients.push(viewer);
    const states: ConnectionState[] = [];
    const errors: LiveError[] = [];
    viewer.on('state', (state) => states.push(state));
    viewer.on('error', (error) => errors.push(error));
    const room = await viewer.joinRoom(roomId);
    const important: RoomMessage[] = [];
    const normal: number[] = [];
    const gaps: GapEvent[] = [];
    room.on('message', (message) => {
      if (message.lane === 'important') important.push(message);
      else normal.push(message.seq);
    });
    room.on('gap', (gap) => gaps.push(gap));
    let seqAtDrop: number | undefined;
    viewer.on('state', (state) => {
      if (state === 'reconnecting') seqAtDrop ??= room.seqs.important;
    });
    // The first URL of the list: the gateway about to die.
    expect(viewer.url).toBe(gateway0.url);
    const startSeq = room.seqs.important;

    // Gifts and chat over the SDK from the surviving gateway, business pushes over HTTP.
    const gifter = connect({ url: gateway1.url, token: gifterSession.token, transports: ['websocket'] });
    clients.push(gifter);
    const gifterRoom = await gifter.joinRoom(roomId);
    let sending = true;
    let sentImportant = 0;
    const traffic = (async () => {
      for (let i = 0; sending && i < 1000; i += 1) {
        const seq =
          i % 2 === 0
            ? (await gifterRoom.sendGift('rose')).seq
            : (await api.push(roomId, { lane: 'important', type: 'custom', body: { tick: i } })).seq;
        sentImportant += 1;
        await gifterRoom.sendChat(`tick ${i}`);
        // One message in flight at a time: the next goes once the gifter (on the surviving gateway) has this one.
        await waitFor(() => gifterRoom.seqs.important >= (seq ?? 0), { what: `important seq ${seq}` });
      }
    })();

    await waitFor(() => room.seqs.important >= startSeq + 10, { what: 'the viewer to hear the first gifts' });
    await gateway0.kill();
    await waitFor(() => viewer.url === gateway1.url && room.joined, {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'the SDK to reconnect to gateway 1 and rejoin',
    });
    expect(seqAtDrop).toBeDefined();
    const seqAtResume = room.seqs.important;
    // Live traffic after the resume (a few messages heard live), then quiet.
    await waitFor(() => room.seqs.important >= seqAtResume + 10, {
      timeoutMs: 20_000,
      what: `the viewer to hear 10 important messages after the resume (at ${room.seqs.important})`,
    });
    sending = false;
    await traffic;

    const latest = (await api.stats(roomId)).seqs.important;
    expect(latest).toBe(startSeq + sentImportant);
    await waitFor(() => room.seqs.important === latest, {
      intervalMs: 20,
      what: `the viewer to reach important seq ${latest} (at ${room.seqs.important})`,
    });
    expect(latest).toBeGreaterThan(seqAtResume);

    const seqs = important.map((m) => m.seq);
    expect({
      ...runProblems(seqs, startSeq + 1, latest),
      inOrder: seqs.every((s, i) => i === 0 || s > seqs[i - 1]),
    }).toEqual({
      missing: [],
      repeated: [],
      inOrder: true,
    });
    // Exactly the room's log, message for message.
    const logged = await importantLaneLog(room, startSeq);
    expect(important.map((m) => m.id)).toEqual(logged.map((m) => m.id));

    // The normal lane may be thinned by flow control, but never repeats or goes backwards.
    expect(normal.length).toBeGreaterThan(0);
    expect(normal.every((s, i) => i === 0 || s > normal[i - 1])).toBe(true);
    expect(gaps.filter((gap) => !gap.recovered)).toEqual([]);
    expect(states).toEqual(expect.arrayContaining(['reconnecting', 'connected']));
    expect(states.at(-1)).toBe('connected');
    expect(errors.filter((e) => e.code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
  });
});
