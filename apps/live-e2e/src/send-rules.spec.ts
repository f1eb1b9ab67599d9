import { ErrorCode } from '@live-im/contracts';
import { sleep, waitFor } from '@live-im/testing';
import type { Session } from './support/live-api';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor } from './support/fixtures';

/** Sends a user may make per window: small, so the limit is reached in a few calls. */
const USER_RATE_POINTS = 5;

describe('who may send what', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('rules');
  let watcher: LiveClient;

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'rules',
      gateways: 1,
      roomEnv: { USER_RATE_POINTS: String(USER_RATE_POINTS), USER_RATE_WINDOW_SEC: '60' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'rules', owner.user.userId);
    watcher = (await cluster.joined(0, roomId, { token: (await guest(api)).token })).client;
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  async function member(label: string): Promise<{ session: Session; client: LiveClient }> {
    const session = await registerUser(cluster.api(), label);
    const { client } = await cluster.joined(0, roomId, { token: session.token });
    return { session, client };
  }

  it('lets a guest watch but not send: FORBIDDEN', async () => {
    const { client } = await cluster.joined(0, roomId, { token: (await guest(cluster.api())).token });
    const chat = await client.request('chat', { roomId, text: 'hello', clientMsgId: clientMsgId() });
    expect(chat).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    const gift = await client.request('gift', {
      roomId,
      giftId: 'rose',
      count: 1,
      clientMsgId: clientMsgId(),
    });
    expect(gift).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
  });

  it('refuses a muted user with MUTED, and lets them send again once unmuted by time', async () => {
    const { session, client } = await member('muted');
    await client.send('chat', { roomId, text: 'before the mute', clientMsgId: clientMsgId() });
    const mute = (await cluster.api().mute(roomId, session.user.userId, 2)) as { mutedUntil: number };
    expect(mute.mutedUntil).toBeGreaterThan(Date.now());
    const chat = await client.request('chat', { roomId, text: 'while muted', clientMsgId: clientMsgId() });
    expect(chat).toMatchObject({ ok: false, error: { code: ErrorCode.MUTED } });
    const gift = await client.request('gift', {
      roomId,
      giftId: 'rose',
      count: 1,
      clientMsgId: clientMsgId(),
    });
    expect(gift).toMatchObject({ ok: false, error: { code: ErrorCode.MUTED } });
    // The mute was for 2 s: then the same user sends again. The time the mute named is the
    // condition (nothing else shows it, and retrying would spend the user's few rate points).
    await sleep(mute.mutedUntil - Date.now() + 200);
    await client.send('chat', { roomId, text: 'after the mute', clientMsgId: clientMsgId() });
  });

  it('kicks a banned user out and refuses their join with BANNED', async () => {
    const { session, client } = await member('banned');
    await cluster.api().ban(roomId, session.user.userId, 'spam');
    await waitFor(() => client.kicked.some((k) => k.roomId === roomId), { what: 'the kicked event' });
    const join = await client.request('join', { roomId });
    expect(join).toMatchObject({ ok: false, error: { code: ErrorCode.BANNED } });
    // A fresh connection of the same user is refused as well.
    const again = await cluster.client(0, { token: session.token });
    expect(await again.request('join', { roomId })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.BANNED },
    });
    const chat = await again.request('chat', { roomId, text: 'let me in', clientMsgId: clientMsgId() });
    expect(chat.ok).toBe(false);
  });

  it('answers RATE_LIMITED past the per-user budget, and sends nothing for the refused ones', async () => {
    const { client } = await member('fast');
    const before = (await cluster.api().stats(roomId)).seqs.normal;
    const acks = [];
    for (let i = 0; i < USER_RATE_POINTS + 3; i += 1) {
      acks.push(await client.request('chat', { roomId, text: `fast ${i}`, clientMsgId: clientMsgId() }));
    }
    const accepted = acks.filter((a) => a.ok).length;
    const limited = acks.filter((a) => !a.ok && a.error.code === ErrorCode.RATE_LIMITED).length;
    expect(accepted).toBe(USER_RATE_POINTS);
    expect(limited).toBe(3);
    expect(acks.slice(0, USER_RATE_POINTS).every((a) => a.ok)).toBe(true);
    expect((await cluster.api().stats(roomId)).seqs.normal).toBe(before + USER_RATE_POINTS);
  });

  it('turns the same clientMsgId sent twice into one message with one seq, delivered once', async () => {
    const { client } = await member('twice');
    const id = clientMsgId();
    const first = await client.send('chat', { roomId, text: 'only once', clientMsgId: id });
    const second = await client.send('chat', { roomId, text: 'only once', clientMsgId: id });
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ ...first, duplicate: true });
    // A later message from the same user: once it is in, a second copy would have been too.
    const marker = await client.send('chat', { roomId, text: 'marker', clientMsgId: clientMsgId() });
    expect(marker.seq).toBe(first.seq + 1);
    await watcher.waitForSeq(roomId, 'normal', marker.seq);
    const copies = watcher.messages(roomId, 'normal').filter((m) => m.clientMsgId === id);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ id: first.messageId, seq: first.seq });

    // The same for a gift on the important lane.
    const giftId = clientMsgId();
    const gift1 = await client.send('gift', { roomId, giftId: 'rose', count: 3, clientMsgId: giftId });
    const gift2 = await client.send('gift', { roomId, giftId: 'rose', count: 3, clientMsgId: giftId });
    expect(gift2).toEqual({ ...gift1, duplicate: true });
    const history = await watcher.send('history', { roomId, lane: 'important', afterSeq: gift1.seq - 1 });
    expect(history.messages.filter((m) => m.clientMsgId === giftId)).toHaveLength(1);
    expect(history.latestSeq).toBe(gift1.seq);
  });
  it('kicks a user out of the room, who may join again', async () => {
    const { session, client } = await member('kicked');
    await cluster.api().kick(roomId, session.user.userId, 'cool down');
    await waitFor(() => client.kicked.some((k) => k.roomId === roomId), { what: 'the kicked event' });
    expect(client.kicked.find((k) => k.roomId === roomId)).toEqual({ roomId, reason: 'cool down' });
    // Out of the room: sending needs a new join, which is allowed.
    const chat = await client.request('chat', { roomId, text: 'still here?', clientMsgId: clientMsgId() });
    expect(chat).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    await client.send('join', { roomId });
    await client.send('chat', { roomId, text: 'back again', clientMsgId: clientMsgId() });
  });

  it('closes a room: every member is told and leaves, and nobody gets in or sends any more', async () => {
    const closing = roomIdFor('closing');
    const api = cluster.api();
    const session = await registerUser(api, 'closer');
    await api.createRoom(closing, 'closing soon', session.user.userId);
    const { client: speaker } = await cluster.joined(0, closing, { token: session.token });
    const { client: viewer } = await cluster.joined(0, closing, { token: (await guest(api)).token });
    await api.close(closing, 'show is over');
    for (const client of [speaker, viewer]) {
      await waitFor(() => client.roomClosed.some((e) => e.roomId === closing), {
        what: 'the roomClosed event',
      });
    }
    expect(viewer.roomClosed.find((e) => e.roomId === closing)).toEqual({
      roomId: closing,
      reason: 'show is over',
    });
    expect(await speaker.request('join', { roomId: closing })).toMatchObject({
      ok: false,
      error: { code: ErrorCode.ROOM_CLOSED },
    });
    const push = await api.result('POST', `/api/rooms/${closing}/push`, { body: { late: true } }, true);
    expect(push).toMatchObject({ status: 409, ok: false, error: { code: ErrorCode.ROOM_CLOSED } });
    expect((await api.stats(closing)).room.status).toBe('closed');
  });
});
