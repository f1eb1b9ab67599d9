import { connect, type LiveClient as SdkClient } from '@live-im/client-sdk';
import type { OnlineInfo, RoomMessage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient, TimelineEntry } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import {
  clientMsgId,
  guest,
  registerUser,
  roomIdFor,
  runProblems,
  UNBOUNDED_SENDS,
} from './support/fixtures';

/** Chats of the flood, a few in flight at a time. */
const CHATS = 240;
/** A gift after every this many chats. */
const GIFT_EVERY = 12;

/** What a client saw, in order: messages as lane:seq, online figures as online:count/peak. */
type Seen = string[];

const seenMessage = (message: RoomMessage): string => `${message.lane}:${message.seq}`;
const seenOnline = (online: OnlineInfo): string =>
  `online:${online.count}/${online.peak}/${online.viewersEver}`;

/** What lies from the first message to the last one: before and after, online figures differ by join time. */
function messageSpan(seen: Seen): Seen {
  const isMessage = (entry: string): boolean => !entry.startsWith('online:');
  const first = seen.findIndex(isMessage);
  let last = seen.length - 1;
  while (last > first && !isMessage(seen[last])) last -= 1;
  return seen.slice(first, last + 1);
}

/**
 * The room written through shared frames (a room-wide write is encoded once, and written as the
 * same bytes to every websocket, or through Socket.IO's emit to a long-polling client): a raw
 * socket.io-client, the SDK and a long-polling client in one room see the very same messages and
 * online figures, in the very same order.
 */
describe('one room, three kinds of client, shared frames', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('frames');
  let sdk: SdkClient | undefined;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'frames',
      gateways: 1,
      // Online figures (the room's state) several times during the flood; the same lease rules as ever.
      roomEnv: { ...UNBOUNDED_SENDS, ROOM_STATE_MS: '200' },
      gatewayEnv: { EVENTS_PER_SOCKET_PER_SEC: '1000' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'frames', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    sdk?.close();
    await cluster?.close();
  });

  it('gives the raw websocket client, the SDK and the long-polling client identical messages in identical order', async () => {
    const gateway = cluster.gateways[0];
    if (gateway === undefined) throw new Error('one gateway expected');
    const api = cluster.api();
    const raw: LiveClient = (
      await cluster.joined(0, roomId, { token: (await guest(api)).token, transports: ['websocket'] })
    ).client;
    const poller: LiveClient = (
      await cluster.joined(0, roomId, { token: (await guest(api)).token, transports: ['polling'] })
    ).client;
    sdk = connect({ url: gateway.url, token: (await guest(api)).token, transports: ['websocket'] });
    const room = await sdk.joinRoom(roomId);
    const sdkSeen: Seen = [];
    room.on('message', (message) => sdkSeen.push(seenMessage(message)));
    room.on('online', (online) => sdkSeen.push(seenOnline(online)));
    const sender = (await cluster.joined(0, roomId, { token: (await registerUser(api, 'sender')).token }))
      .client;
    const directBefore = await gateway.metric('gateway_socket_writes_total', { path: 'direct' });
    const emitBefore = await gateway.metric('gateway_socket_writes_total', { path: 'emit' });

    let chats = 0;
    let gifts = 0;
    const lanes = [0, 1, 2, 3].map(async () => {
      while (chats < CHATS) {
        chats += 1;
        const n = chats;
        await sender.send('chat', {
          roomId,
          text: `chat ${n} “quoted” 🎁 \u2028`,
          clientMsgId: clientMsgId(),
        });
        if (n % GIFT_EVERY === 0) {
          gifts += 1;
          await sender.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() });
        }
      }
    });
    await Promise.all(lanes);
    const last = await api.stats(roomId);
    expect(last.seqs.normal).toBe(CHATS);
    expect(last.seqs.important).toBe(gifts);

    for (const client of [raw, poller]) {
      await client.waitForSeq(roomId, 'normal', CHATS, 20_000);
      await client.waitForSeq(roomId, 'important', gifts, 20_000);
      expect(client.violations).toEqual([]);
    }
    await waitFor(() => room.seqs.normal >= CHATS && room.seqs.important >= gifts, {
      timeoutMs: 20_000,
      what: 'the SDK to have every message',
    });

    const seenOf = (timeline: readonly TimelineEntry[]): Seen =>
      timeline.map((entry) =>
        entry.via === 'online' ? seenOnline(entry.online) : seenMessage(entry.message),
      );
    const rawSeen = seenOf(raw.timeline);
    const pollerSeen = seenOf(poller.timeline);
    // Every message once, each lane in order, at every client.
    for (const seen of [rawSeen, pollerSeen, sdkSeen]) {
      const seqs = (lane: string): number[] =>
        seen.filter((entry) => entry.startsWith(`${lane}:`)).map((entry) => Number(entry.split(':')[1]));
      expect(runProblems(seqs('normal'), 1, CHATS)).toEqual({ missing: [], repeated: [] });
      expect(runProblems(seqs('important'), 1, gifts)).toEqual({ missing: [], repeated: [] });
    }
    // The same interleaving of both lanes and online figures, since each got the same writes.
    const span = messageSpan(rawSeen);
    expect(span.some((entry) => entry.startsWith('online:'))).toBe(true);
    expect(messageSpan(pollerSeen)).toEqual(span);
    expect(messageSpan(sdkSeen)).toEqual(span);
    expect(poller.socket.io.engine.transport.name).toBe('polling');

    // The websockets were written the shared bytes directly; the long-polling client through emit.
    expect(await gateway.metric('gateway_socket_writes_total', { path: 'direct' })).toBeGreaterThan(
      directBefore,
    );
    expect(await gateway.metric('gateway_socket_writes_total', { path: 'emit' })).toBeGreaterThan(emitBefore);
  });
});
