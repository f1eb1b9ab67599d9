import { sleep } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor, runProblems } from './support/fixtures';

describe('a client limited to long-polling', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('poll');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'poll',
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'polling', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('joins, sends and receives like a websocket client', async () => {
    const pollerSession = await registerUser(cluster.api(0), 'poller');
    const { client: poller, join } = await cluster.joined(0, roomId, {
      token: pollerSession.token,
      transports: ['polling'],
    });
    expect(join.room.roomId).toBe(roomId);
    const wsSession = await registerUser(cluster.api(1), 'websocket');
    const { client: ws } = await cluster.joined(1, roomId, {
      token: wsSession.token,
      transports: ['websocket'],
    });
    const watcher: LiveClient = (
      await cluster.joined(1, roomId, { token: (await guest(cluster.api(1))).token, transports: ['polling'] })
    ).client;

    const sent = [];
    for (let i = 0; i < 10; i += 1) {
      const from = i % 2 === 0 ? poller : ws;
      sent.push(await from.send('chat', { roomId, text: `turn ${i}`, clientMsgId: clientMsgId() }));
      if (i % 3 === 0)
        await from.send('gift', { roomId, giftId: 'heart', count: 1, clientMsgId: clientMsgId() });
    }
    const gifts = (await cluster.api().stats(roomId)).seqs.important;
    for (const client of [poller, ws, watcher]) {
      await client.waitForSeq(roomId, 'normal', 10);
      await client.waitForSeq(roomId, 'important', gifts);
      expect(client.violations).toEqual([]);
      expect(runProblems(client.seqs(roomId, 'normal'), 1, 10)).toEqual({ missing: [], repeated: [] });
      expect(runProblems(client.seqs(roomId, 'important'), 1, gifts)).toEqual({ missing: [], repeated: [] });
      expect(client.outOfOrder(roomId, 'normal')).toEqual([]);
      expect(client.messages(roomId, 'normal').map((m) => m.id)).toEqual(sent.map((s) => s.messageId));
    }
    // The poller's own chats carry its identity, filled in by the gateway from the token.
    const own = poller.messages(roomId, 'normal').filter((m) => m.from.userId === pollerSession.user.userId);
    expect(own).toHaveLength(5);
    expect(own.every((m) => m.from.nickname === pollerSession.user.nickname)).toBe(true);

    // It stayed on long-polling the whole time (every exchange above went over it).
    expect(poller.socket.io.engine.transport.name).toBe('polling');
    expect(watcher.socket.io.engine.transport.name).toBe('polling');

    // Pull and leave work over polling too.
    const history = await poller.send('history', { roomId, lane: 'normal', afterSeq: 0, limit: 5 });
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    await poller.send('leave', { roomId });
    const after = await ws.send('chat', {
      roomId,
      text: 'after the poller left',
      clientMsgId: clientMsgId(),
    });
    await watcher.waitForSeq(roomId, 'normal', after.seq);
    // Proving the poller gets nothing more: no event to wait for, only a window (a few polls) to watch.
    await sleep(300);
    expect(poller.lastSeq(roomId, 'normal')).toBe(10);
  });
});
