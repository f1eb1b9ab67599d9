import { join } from 'node:path';
// Relative imports only: jest loads this module as it is, where @live-im/* is not mapped.
import { WORKSPACE_ROOT } from '../app-process';
import { LocalRedisCluster } from '../redis-cluster';
import { findChromium } from './chromium';
import { prepareRedisForTests, type RedisForTests } from './redis-for-tests';
import { killProcessesOfRun, markTestRun } from './run-processes';
import { TestRunError } from './test-run-error';

/** How long jest may stay alive after the run before the teardown's watchdog ends it. */
const EXIT_GRACE_MS = 30_000;

interface TestRunState {
  id: string;
  redis: RedisForTests;
  cluster?: LocalRedisCluster;
}

/** `LIVE_IM_TEST_REDIS=cluster`: the run's specs and the apps they spawn use a Redis Cluster. */
const CLUSTER_SWITCH = 'LIVE_IM_TEST_REDIS';

/** Jest hands globals of the global set-up to the global teardown, and nothing else. */
const STATE = Symbol.for('live-im.test-run');
type GlobalWithState = typeof globalThis & { [STATE]?: TestRunState };

function say(line: string): void {
  process.stderr.write(`test run: ${line}\n`);
}

/**
 * Jest's global set-up (jest.preset.js), before any suite: marks the run so its processes can be
 * found, and makes sure a Redis answers, exporting REDIS_URL to every spec and every child.
 */
export async function setUpTestRun(): Promise<void> {
  const holder = globalThis as GlobalWithState;
  if (holder[STATE]) return;
  const id = markTestRun();
  const redis = await prepareRedisForTests(join(WORKSPACE_ROOT, 'tmp/test-logs'));
  process.env['REDIS_URL'] = redis.url;
  holder[STATE] = { id, redis };
  const mode = process.env[CLUSTER_SWITCH];
  if (mode === 'cluster') {
    const cluster = await LocalRedisCluster.start({
      label: 'run',
      logDir: join(WORKSPACE_ROOT, 'tmp/test-logs'),
    });
    process.env['REDIS_CLUSTER_NODES'] = cluster.seeds;
    holder[STATE].cluster = cluster;
    say(`${CLUSTER_SWITCH}=cluster: Redis Cluster of 3 masters + 3 replicas at ${cluster.seeds}`);
  } else if (mode !== undefined && mode !== '' && mode !== 'single') {
    throw new TestRunError(`${CLUSTER_SWITCH} must be cluster or single, got "${mode}"`);
  }
  if (redis.server) {
    say(
      `no Redis answers on 127.0.0.1:6379: started redis-server (pid ${redis.server.pid}) at ${redis.url} for this run (log ${redis.server.logFile})`,
    );
  } else {
    say(`Redis at ${redis.url}${redis.source === 'env' ? ' (REDIS_URL)' : ''}`);
  }
  try {
    findChromium();
  } catch (error) {
    // Only the browser specs need it; they fail with this line, every other spec runs.
    if (!(error instanceof TestRunError)) throw error;
    say(`the browser specs will fail: ${error.message}`);
  }
}

/**
 * Jest's global teardown: stops the private redis-server, kills any process of this run a spec
 * left behind (saying which), and makes sure jest itself ends.
 */
export async function tearDownTestRun(): Promise<void> {
  const holder = globalThis as GlobalWithState;
  const state = holder[STATE];
  if (!state) return;
  delete holder[STATE];
  await state.redis.stop();
  await state.cluster?.stop();
  const leftovers = await killProcessesOfRun(state.id);
  if (leftovers.length > 0) {
    say(
      `killed ${leftovers.length} process(es) the specs left behind: ${leftovers.map((p) => `${p.pid} ${p.command}`).join('; ')}`,
    );
  }
  // The last resort against a hang: a handle some spec left open. The timer holds nothing open.
  // The run then fails, so the leak is fixed rather than waited out.
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
    say(
      `jest had not exited ${EXIT_GRACE_MS / 1000} s after the run (open: ${open.join(', ')}): ending it as failed`,
    );
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}
