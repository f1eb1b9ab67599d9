import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { LuaScript } from './lua-script';
import { createRedisClient, type RedisClient } from './redis-client';
import { parseClusterNodes, type RedisTarget } from './redis-target';

// @live-im/testing depends on this library, so the spec reads the run's Redis (a cluster on a
// LIVE_IM_TEST_REDIS=cluster run) from the environment jest's global set-up fills.
function runTarget(): RedisTarget {
  const nodes = process.env['REDIS_CLUSTER_NODES'];
  if (nodes === undefined || nodes === '') {
    return { kind: 'single', url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' };
  }
  const cluster = parseClusterNodes(nodes);
  if (typeof cluster === 'string') throw new Error(`REDIS_CLUSTER_NODES: ${cluster}`);
  return cluster;
}

function masters(redis: RedisClient): RedisClient[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Appends ARGV[1] to every key given and returns the first key's new length. */
const APPEND_ALL = new LuaScript(`
local length = 0
for i, key in ipairs(KEYS) do
  local now = redis.call('APPEND', key, ARGV[1])
  if i == 1 then length = now end
end
return length
`);

describe('LuaScript', () => {
  const prefix = `test:lua:${randomBytes(6).toString('hex')}:`;
  /** Keys of one room each: `{room}` hash tags, so one script's keys share a slot. */
  const roomKey = (room: number, name: string) => `${prefix}{r${room}}:${name}`;
  let redis: RedisClient;

  beforeAll(async () => {
    redis = createRedisClient(runTarget());
    // A cluster client refuses commands until it has the slot map (no offline queue).
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  });

  afterAll(async () => {
    for (const node of masters(redis)) {
      const keys = await node.keys(`${prefix}*`);
      await Promise.all(keys.map((key) => node.unlink(key)));
    }
    await redis.quit();
  });

  it('runs the scripts of rooms on every node in the auto-pipelines of their nodes', async () => {
    const rooms = Array.from({ length: 40 }, (_, room) => room);
    const runs = rooms.map((room) => APPEND_ALL.run(redis, [roomKey(room, 'a'), roomKey(room, 'b')], ['xy']));
    // Queued for the tick's pipelines rather than written one by one.
    expect(redis.autoPipelineQueueSize).toBe(rooms.length);
    expect(await Promise.all(runs)).toEqual(rooms.map(() => 2));
    expect(await redis.get(roomKey(7, 'b'))).toBe('xy');
  });

  it('runs one script with different key counts, and again after Redis forgot it', async () => {
    expect(await APPEND_ALL.run(redis, [roomKey(100, 'a')], ['1'])).toBe(1);
    expect(
      await APPEND_ALL.run(redis, [roomKey(100, 'a'), roomKey(100, 'b'), roomKey(100, 'c')], ['2']),
    ).toBe(2);
    await Promise.all(masters(redis).map((node) => node.script('FLUSH')));
    expect(await APPEND_ALL.run(redis, [roomKey(100, 'a')], ['3'])).toBe(3);
    expect(await redis.get(roomKey(100, 'c'))).toBe('2');
  });

  it('runs a script first used while an auto-pipeline waits, and pipelines it once none does', async () => {
    const script = new LuaScript(`-- ${prefix} late\nreturn redis.call('INCR', KEYS[1])`);
    const waiting = redis.get(roomKey(200, 'a'));
    expect(redis.autoPipelineQueueSize).toBe(1);
    const first = script.run(redis, [roomKey(200, 'n')], []);
    expect(await Promise.all([waiting, first])).toEqual([null, 1]);
    const second = script.run(redis, [roomKey(200, 'n')], []);
    expect(redis.autoPipelineQueueSize).toBe(1);
    expect(await second).toBe(2);
  });

  it('runs a script without keys', async () => {
    const script = new LuaScript(`return ARGV[1] .. '!'`);
    expect(await script.run(redis, [], ['hi'])).toBe('hi!');
  });
});
