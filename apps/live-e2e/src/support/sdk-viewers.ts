import { connect, type LiveClient, type RoomHandle } from '@live-im/client-sdk';
import { inBatches } from './fixtures';
import type { ViewerCommand, ViewerReply, ViewerState } from './sdk-viewer-processes';

/**
 * A child process of a live-e2e spec (support/sdk-viewer-processes.ts): its share of a room's
 * viewers, each a real SDK client (`connect` of libs/client-sdk, with its cursor, gap fill and
 * reconnect loop), keeping the ids of the important messages the SDK gave it (live, in a join
 * answer, or pulled) and its gap events. Run with `node -r @swc-node/register`, so the SDK is
 * its TypeScript source, as the spec's own clients are.
 */

/** Joins in flight at once per process: a bounded share of a loaded 2-CPU machine. */
const JOIN_CONCURRENCY = 25;
/**
 * The SDK's deadline per request. Its default (10 s) is for a user's one join; a thousand joins and
 * rejoins landing on a loaded test machine at once wait longer, and the SDK retries on expiry.
 */
const REQUEST_TIMEOUT_MS = 30_000;

interface Viewer {
  client: LiveClient;
  room: RoomHandle;
  important: Set<string>;
  gaps: { normal: number; important: number };
}

type JoinCommand = Extract<ViewerCommand, { kind: 'join' }>;

const viewers: Viewer[] = [];

async function joinOne(urls: string[], command: JoinCommand): Promise<Viewer> {
  const client = connect({
    url: urls,
    transports: ['websocket'],
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    reconnect: command.reconnect ? { ...command.reconnect, factor: 2, jitter: 0.5 } : undefined,
  });
  try {
    const room = await client.joinRoom(command.roomId);
    const viewer: Viewer = { client, room, important: new Set(), gaps: { normal: 0, important: 0 } };
    room.on('message', (message) => {
      if (message.lane === 'important') viewer.important.add(message.id);
    });
    room.on('gap', (gap) => {
      viewer.gaps[gap.lane] += 1;
    });
    return viewer;
  } catch (error) {
    client.close();
    throw error;
  }
}

async function join(command: JoinCommand): Promise<number> {
  const { urls, count, firstIndex, spread } = command;
  const numbers = Array.from({ length: count }, (_, i) => firstIndex + i);
  await inBatches(numbers, JOIN_CONCURRENCY, async (n) => {
    viewers.push(await joinOne(spread === 'all' ? urls : [urls[n % urls.length]], command));
  });
  return viewers.length;
}

function state(viewer: Viewer, ids: string[]): ViewerState {
  return {
    url: viewer.client.url ?? '',
    joined: viewer.room.joined,
    gaps: { ...viewer.gaps },
    lacking: ids.filter((id) => !viewer.important.has(id)),
  };
}

async function handle(command: ViewerCommand): Promise<ViewerReply> {
  switch (command.kind) {
    case 'join':
      return { kind: 'joined', viewers: await join(command) };
    case 'report':
      return { kind: 'report', viewers: viewers.map((viewer) => state(viewer, command.ids)) };
  }
}

function closeAll(): never {
  for (const viewer of viewers) viewer.client.close();
  process.exit(0);
}

// One command at a time, so that the replies come in the order of the commands.
let queue: Promise<void> = Promise.resolve();
process.on('message', (command: ViewerCommand) => {
  queue = queue.then(async () => {
    const reply = await handle(command).catch(
      (error: unknown): ViewerReply => ({
        kind: 'failed',
        error: error instanceof Error ? error.message : String(error),
      }),
    );
    process.send?.(reply);
  });
});
process.on('SIGTERM', closeAll);
// The spec went away: no viewer outlives it.
process.on('disconnect', closeAll);
