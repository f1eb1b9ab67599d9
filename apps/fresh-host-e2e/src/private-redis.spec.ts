import { processAlive } from '@live-im/testing';
import {
  describeInNamespaces,
  executablesOnPath,
  IsolatedHost,
  type NestedRun,
} from './support/isolated-host';

/** A unit spec on Redis directly, and an e2e spec whose spawned apps (broker, user-service) use it. */
const REDIS_SPECS = ['libs/presence/src/presence-store.spec.ts', 'apps/rpc-e2e/src/user-service.spec.ts'];

/**
 * `npm test` on a host where nothing answers on loopback and REDIS_URL is unset: the jest set-up
 * starts a redis-server of its own on a free port, the specs and the apps they spawn use it, and
 * it is stopped at the end.
 */
describeInNamespaces('a test run with no Redis on loopback', () => {
  let host: IsolatedHost;
  let run: NestedRun;

  beforeAll(async () => {
    if (executablesOnPath('redis-server').length === 0) {
      throw new Error('redis-server is not installed here (Debian: apt-get install -y redis-server)');
    }
    host = await IsolatedHost.create();
    run = await host.jest(REDIS_SPECS);
  });

  afterAll(async () => {
    await host?.close();
  });

  it('starts a redis-server of its own and the Redis-using specs pass on it', () => {
    expect(run.timedOut).toBe(false);
    expect(run.output).toMatch(
      /test run: no Redis answers on 127\.0\.0\.1:6379: started redis-server \(pid \d+\)/,
    );
    expect(run.output).toMatch(/Test Suites: 2 passed, 2 total/);
    expect(run.output).not.toMatch(/Tests:.* failed/);
    expect(run.code).toBe(0);
  });

  it('stops that redis-server at the end and leaves no process behind', async () => {
    const pid = Number(/started redis-server \(pid (\d+)\)/.exec(run.output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(processAlive(pid)).toBe(false);
    expect(run.groupLeftovers).toEqual([]);
    expect(await host.pids()).toEqual([]);
    expect(run.output).not.toMatch(/left behind|had not exited/);
  });
});
