import { connect, type LiveClient, type RoomHandle } from '@live-im/client-sdk';
import { waitFor } from '@live-im/testing';
import { LiveCluster } from './support/live-cluster';
import { registerUser, roomIdFor } from './support/fixtures';

const VIEWERS = 24;

describe('client SDK: the users of a gateway that dies', () => {
  let cluster: LiveCluster;
  const clients: LiveClient[] = [];
  const roomId = roomIdFor('sdk-spread');

  beforeAll(async () => {
    cluster = await LiveCluster.start({ label: 'sdk-spread', gateways: 3 });
    const api = cluster.api(1);
    const owner = await registerUser(api, 'owner');
    await api.createRoom(roomId, 'sdk spread', owner.user.userId);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await cluster?.close();
  });

  it('spread over the other gateways at random and rejoin, instead of all landing on the next one', async () => {
    const urls = cluster.gateways.map((g) => g.url);
    const [dying] = cluster.gateways;
    if (dying === undefined) throw new Error('no gateway 0');
    const rooms: RoomHandle[] = [];
    for (let i = 0; i < VIEWERS; i += 1) {
      const viewer = connect({
        url: urls,
        transports: ['websocket'],
        reconnect: { minDelayMs: 200, maxDelayMs: 2000, factor: 2, jitter: 0.5 },
      });
      clients.push(viewer);
      rooms.push(await viewer.joinRoom(roomId));
    }
    // The first URL of the list: every viewer starts on the gateway about to die.
    expect(clients.every((c) => c.url === dying.url)).toBe(true);

    await dying.kill();
    await waitFor(() => clients.every((c) => c.state === 'connected' && c.url !== dying.url), {
      timeoutMs: 20_000,
      what: 'every viewer to reconnect to another gateway',
    });
    await waitFor(() => rooms.every((room) => room.joined), {
      timeoutMs: 20_000,
      what: 'every viewer to rejoin',
    });
    const landed = urls.slice(1).map((url) => clients.filter((c) => c.url === url).length);
    // Each survivor took a share (all on one would be 2 in 2^24 with a fair coin).
    expect(landed.every((count) => count > 0)).toBe(true);
    expect(landed.reduce((a, b) => a + b, 0)).toBe(VIEWERS);
    // And the room's online count follows them there.
    await waitFor(async () => (await cluster.api(1).stats(roomId)).online.count === VIEWERS, {
      timeoutMs: 15_000,
      what: `online count ${VIEWERS}`,
    });
  });
});
