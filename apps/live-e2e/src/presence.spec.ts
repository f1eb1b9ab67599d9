import type { OnlineListPage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { guest, inBatches, registerUser, roomIdFor } from './support/fixtures';

/** More than one page of the member list (50 a page). */
const USERS = 60;
const HALF = USERS / 2;

describe('online count, member list, viewers ever and peak', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('presence');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'presence',
      env: { PRESENCE_LEASE_MS: '2000' },
      gatewayEnv: { PRESENCE_FLUSH_MS: '200' },
      roomEnv: { ROOM_STATE_MS: '500' },
    });
    const api = cluster.api();
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'presence', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  async function onlineCount(): Promise<number> {
    return (await cluster.api(1).stats(roomId)).online.count;
  }

  it('is right after users join, leave and rejoin across gateways', async () => {
    const users = await inBatches(Array.from({ length: USERS }), 10, () => guest(cluster.api()));
    const name = (id: string): string => `u${users.findIndex((u) => u.guestId === id)}`;
    const sockets = new Map<number, LiveClient[]>();
    const join = async (user: number, gateway: number): Promise<LiveClient> => {
      const { client } = await cluster.joined(gateway, roomId, {
        token: users[user].token,
      });
      sockets.set(user, [...(sockets.get(user) ?? []), client]);
      return client;
    };
    const first = (user: number): LiveClient => sockets.get(user)?.[0] as LiveClient;
    // The first half on gateway 0, the second on gateway 1.
    await inBatches(users, 10, (_, i) => join(i, i < HALF ? 0 : 1));
    await waitFor(async () => (await onlineCount()) === USERS, {
      timeoutMs: 10_000,
      what: `${USERS} online`,
    });

    // Churn: three leave the room, two drop their connection, one joins a second time over another
    // connection to the same gateway (still one user), one comes back on the other gateway. (A user
    // connected through two gateways at once counts once per gateway: the count is a sum of the
    // gateways' own distinct counts, online count = sum over live gateways.)
    for (const user of [0, 1, 2]) await first(user).send('leave', { roomId });
    for (const user of [HALF, HALF + 1]) first(user).close();
    await join(3, 0);
    await join(0, 1);
    const gone = new Set([1, 2, HALF, HALF + 1]);
    const online = users
      .filter((_, i) => !gone.has(i))
      .map((u) => u.guestId)
      .sort();

    await waitFor(async () => (await onlineCount()) === online.length, {
      timeoutMs: 10_000,
      what: `${online.length} online after the churn`,
    }).catch(async (error: Error) => {
      const listed = (await cluster.api(0).allMembers(roomId)).map((m) => m.userId).sort();
      throw new Error(
        `${error.message}: count ${await onlineCount()}, listed ${listed.length}, ` +
          `missing [${online.filter((id) => !listed.includes(id)).map(name)}], ` +
          `extra [${listed.filter((id) => !online.includes(id)).map(name)}]`,
      );
    });
    const stats = await cluster.api(0).stats(roomId);
    expect(stats.online).toMatchObject({ roomId, count: online.length, peak: USERS });
    // A HyperLogLog estimate: exact or within one at this size.
    expect(Math.abs(stats.online.viewersEver - USERS)).toBeLessThanOrEqual(1);

    // The member list over HTTP, page by page, each user once.
    const httpPages: OnlineListPage[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      const result = await cluster.api(0).members(roomId, cursor);
      httpPages.push(result);
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    expect(httpPages.length).toBeGreaterThan(1);
    const httpIds = httpPages.flatMap((p) => p.members.map((m) => m.userId));
    expect([...httpIds].sort()).toEqual(online);

    // The member list over Socket.IO, paged the same way, from the other gateway.
    const asker = first(HALF + 5);
    const socketIds: string[] = [];
    let pages = 0;
    cursor = undefined;
    for (; pages < 100; pages += 1) {
      const result: OnlineListPage = await asker.send(
        'onlineList',
        cursor === undefined ? { roomId } : { roomId, cursor },
      );
      expect(result.roomId).toBe(roomId);
      socketIds.push(...result.members.map((m) => m.userId));
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    expect(pages).toBeGreaterThan(0);
    expect([...socketIds].sort()).toEqual(online);

    // Members of both gateways hear the settled figures through `online`.
    const listeners = [asker, first(4), sockets.get(0)?.[1] as LiveClient];
    for (const listener of listeners) {
      await waitFor(() => listener.online.at(-1)?.count === online.length, {
        timeoutMs: 20_000,
        what: `an online event with count ${online.length} (last ${JSON.stringify(listener.online.at(-1))})`,
      });
      expect(listener.online.at(-1)).toMatchObject({
        roomId,
        peak: USERS,
        viewersEver: stats.online.viewersEver,
      });
    }

    // The second connection of u3 leaving keeps u3 online through the first. A few presence
    // flushes later, nothing changed.
    const flushes = (): Promise<number> => cluster.gateways[0].metric('gateway_presence_flush_seconds_count');
    const flushesBefore = await flushes();
    await sockets.get(3)?.[1]?.send('leave', { roomId });
    await waitFor(async () => (await flushes()) >= flushesBefore + 3, {
      what: 'three presence flushes of gateway 0 after the leave',
    });
    expect((await cluster.api(0).allMembers(roomId)).map((m) => m.userId).sort()).toEqual(online);
    expect(await onlineCount()).toBe(online.length);
    expect((await cluster.api(0).stats(roomId)).online).toMatchObject({ peak: USERS });
  });
});
