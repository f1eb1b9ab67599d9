import type { JoinResult, RoomMessage } from '@live-im/contracts';
import { waitFor } from '@live-im/testing';
import type { GuestSession } from './support/live-api';
import type { LiveClient } from './support/live-client';
import { LiveCluster } from './support/live-cluster';
import { clientMsgId, guest, registerUser, roomIdFor } from './support/fixtures';

const PRESENCE_LEASE_MS = 2000;
const VICTIMS = 8;
const SURVIVORS = 4;
/** Important messages each resumed victim gets live before the traffic stops. */
const LIVE_AFTER_RESUME = 10;

describe('kill -9 of a gateway', () => {
  let cluster: LiveCluster;
  const roomId = roomIdFor('failover');

  beforeAll(async () => {
    cluster = await LiveCluster.start({
      label: 'failover',
      env: { PRESENCE_LEASE_MS: String(PRESENCE_LEASE_MS) },
      gatewayEnv: { PRESENCE_FLUSH_MS: '250' },
      roomEnv: { USER_RATE_POINTS: '1000', USER_RATE_WINDOW_SEC: '1', ROOM_STATE_MS: '500' },
    });
    const api = cluster.api(1);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'failover', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('drops its users from the online count; they resume on the other gateway missing no important message', async () => {
    const api = cluster.api(1);
    const sender = (await cluster.joined(1, roomId, { token: (await registerUser(api, 'gifter')).token }))
      .client;
    const victims: Array<{ session: GuestSession; client: LiveClient }> = [];
    for (let i = 0; i < VICTIMS; i += 1) {
      const session = await guest(api);
      victims.push({ session, client: (await cluster.joined(0, roomId, { token: session.token })).client });
    }
    for (let i = 0; i < SURVIVORS; i += 1) {
      await cluster.joined(1, roomId, { token: (await guest(api)).token });
    }
    const everyone = VICTIMS + SURVIVORS + 1;
    await waitFor(async () => (await api.stats(roomId)).online.count === everyone, {
      timeoutMs: 10_000,
      what: `online count ${everyone}`,
    });

    // Important traffic all along: gifts over Socket.IO and business pushes over HTTP.
    let sending = true;
    let sentImportant = 0;
    const traffic = (async () => {
      for (let i = 0; sending && i < 500; i += 1) {
        const seq =
          i % 2 === 0
            ? (await sender.send('gift', { roomId, giftId: 'rose', count: 1, clientMsgId: clientMsgId() }))
                .seq
            : (await api.push(roomId, { lane: 'important', body: { tick: i } })).seq;
        sentImportant += 1;
        // One message in flight at a time: the next goes once the sender (on the surviving gateway) has this one.
        await waitFor(() => sender.lastSeq(roomId, 'important') >= (seq ?? 0), {
          what: `important seq ${seq}`,
        });
      }
    })();
    await waitFor(() => victims.every((v) => v.client.lastSeq(roomId, 'important') >= 5), {
      what: 'the victims to hear the first gifts',
    });

    await cluster.gateways[0]?.kill();
    // Its presence lease runs out (PRESENCE_LEASE_MS) and its users leave the count; how soon is
    // the lease's business, not this test's.
    await waitFor(async () => (await api.stats(roomId)).online.count === everyone - VICTIMS, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `the online count to drop to ${everyone - VICTIMS} after the kill`,
    });

    // Each victim reconnects to the surviving gateway and resumes from what it had seen.
    const resumed = await Promise.all(
      victims.map(async ({ session, client: old }) => {
        const resume = {
          normalSeq: old.lastSeq(roomId, 'normal'),
          importantSeq: old.lastSeq(roomId, 'important'),
        };
        const client = await cluster.client(1, { token: session.token });
        const join = await client.send('join', { roomId, resume });
        return { old, client, join, resume };
      }),
    );
    // Live traffic after the resume (a few messages to every resumed victim), then quiet.
    await waitFor(
      () => resumed.every(({ client }) => client.seqs(roomId, 'important').length >= LIVE_AFTER_RESUME),
      { timeoutMs: 20_000, what: `${LIVE_AFTER_RESUME} live important messages at every resumed victim` },
    );
    sending = false;
    await traffic;
    const latest = (await api.stats(roomId)).seqs.important;
    expect(latest).toBe(sentImportant);

    for (const [victim, { old, client, join, resume }] of resumed.entries()) {
      await client.waitForSeq(roomId, 'important', latest);
      expect(join.missed).not.toBeNull();
      const missed = await missedImportant(client, roomId, join);
      // Gifts went on while it was away: the resume had something to hand back.
      expect(missed.length).toBeGreaterThan(0);
      const live = client.seqs(roomId, 'important');
      const afterKill = [...missed.map((m) => m.seq), ...live];
      const seen = new Set([...old.seqs(roomId, 'important'), ...afterKill]);
      const outcome = {
        victim,
        // Missed and live together continue exactly where the dead connection stopped...
        lost: Array.from({ length: latest }, (_, i) => i + 1).filter((seq) => !seen.has(seq)),
        // ...and none comes twice, neither in both `missed` and live nor repeated live.
        twice: afterKill.filter((seq, i) => afterKill.indexOf(seq) !== i),
      };
      const context = `resume ${JSON.stringify(resume)}, join.seqs ${JSON.stringify(join.seqs)}, missed ${
        missed.length > 0 ? `${missed[0]?.seq}..${missed.at(-1)?.seq}` : 'none'
      } (complete ${String(join.missed?.complete)}), first live ${JSON.stringify(live.slice(0, 3))}`;
      expect({ ...outcome, context }).toEqual({ victim, lost: [], twice: [], context });
      expect(Math.min(...afterKill)).toBe(resume.importantSeq + 1);
    }
    await waitFor(async () => (await api.stats(roomId)).online.count === everyone, {
      timeoutMs: 10_000,
      what: `online count back to ${everyone}`,
    });
  });
});

/** The important messages a resuming join handed back, paged on with history when incomplete. */
async function missedImportant(client: LiveClient, roomId: string, join: JoinResult): Promise<RoomMessage[]> {
  const missed = [...(join.missed?.important ?? [])];
  if (join.missed?.complete === false) {
    const first = client.seqs(roomId, 'important')[0] ?? Number.POSITIVE_INFINITY;
    let after = missed.at(-1)?.seq ?? 0;
    while (after + 1 < first) {
      const page = await client.send('history', { roomId, lane: 'important', afterSeq: after, limit: 200 });
      const wanted = page.messages.filter((m) => m.seq < first);
      if (wanted.length === 0) break;
      missed.push(...wanted);
      after = wanted.at(-1)?.seq ?? after;
    }
  }
  return missed;
}
