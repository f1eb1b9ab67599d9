import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  builtEntry,
  deleteKeysWithPrefix,
  processAlive,
  SYSTEM_APPS,
  testRedisUrl,
  uniqueKeyPrefix,
  waitFor,
  WORKSPACE_ROOT,
  testBusKeysDir,
} from '@live-im/testing';
import {
  declaredApps,
  ECOSYSTEM,
  httpStatus as status,
  PM2_BIN,
  portIsFree,
  portsOf,
  runNode as run,
  type DeclaredApp,
  type Env,
} from './support/pm2-system';

const WEB_INDEX = join(WORKSPACE_ROOT, 'dist/apps/web/index.html');

/**
 * deploy/pm2/ecosystem.config.js end to end: the whole system under a pm2 daemon of its own (an
 * isolated PM2_HOME), on a port base nothing else uses, against the real Redis under a key prefix
 * of this run. Every app becomes ready, the gateway serves its page and API docs, and after
 * `pm2 delete all` and `pm2 kill` no process and no listener is left.
 */
describe('the pm2 ecosystem', () => {
  const pm2Home = mkdtempSync(join(tmpdir(), 'live-im-pm2-'));
  const keyPrefix = uniqueKeyPrefix('e2e:pm2');
  const secrets = { JWT_SECRET: randomBytes(32).toString('hex'), API_KEY: randomBytes(24).toString('hex') };
  const baseEnv: Env = {
    ...process.env,
    PM2_HOME: pm2Home,
    // The bus secured, as the ecosystem requires: the test run's key set.
    LIVE_IM_BUS_KEYS: testBusKeysDir(),
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    // Beside AppProcess's logs, not in the tmp/pm2-logs of a deployment on this host.
    LIVE_IM_PM2_LOG_DIR: join(
      WORKSPACE_ROOT,
      'tmp/test-logs',
      `pm2-${keyPrefix.replace(/[^A-Za-z0-9-]/g, '-')}`,
    ),
  };
  let env: Env = baseEnv;
  let apps: DeclaredApp[] = [];
  let ports: number[] = [];
  const pids: number[] = [];

  const pm2 = (...args: string[]) => run([PM2_BIN, ...args], env);

  beforeAll(async () => {
    for (const app of SYSTEM_APPS) {
      const entry = builtEntry(app);
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first`);
    }
    // A base below the ephemeral range whose every port is free right now.
    for (let attempt = 0; attempt < 20 && ports.length === 0; attempt += 1) {
      const candidate: Env = { ...baseEnv, ...secrets, LIVE_IM_PORT_BASE: String(randomInt(10_000, 30_000)) };
      const candidateApps = await declaredApps(candidate);
      const candidatePorts = portsOf(candidateApps);
      if ((await Promise.all(candidatePorts.map(portIsFree))).every(Boolean)) {
        env = candidate;
        apps = candidateApps;
        ports = candidatePorts;
      }
    }
    if (ports.length === 0) throw new Error('found no port base with every port free');
  });

  afterAll(async () => {
    // Whatever happened above: this PM2_HOME's daemon and its apps go, then the keys and the home.
    await pm2('kill');
    for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    await deleteKeysWithPrefix(keyPrefix).catch(() => undefined);
    rmSync(pm2Home, { recursive: true, force: true });
  }, 60_000);

  it('refuses to load without the secrets, naming the missing one', async () => {
    const result = await run(['-e', 'require(process.argv[1])', ECOSYSTEM], {
      ...baseEnv,
      JWT_SECRET: '',
      API_KEY: '',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('JWT_SECRET is not set');
  });

  it('gives each broadcast node its own key towards the node manager, and refuses a set with too few', async () => {
    const nodes = apps.filter((app) => app.name.startsWith('broadcast-node-'));
    const memberKeys = nodes.map((app) => app.env['BUS_MEMBER_KEY_FILE']);
    expect(memberKeys).toEqual(nodes.map((_, i) => join(testBusKeysDir(), `broadcast-node-${i}.key.json`)));
    expect(new Set(nodes.map((app) => app.env['BUS_KEY_FILE'])).size).toBe(1);

    const oneNodeKey = join(pm2Home, 'one-node-key');
    expect((await run([builtEntry('rpc-cli'), 'keys', oneNodeKey, '--nodes', '1'], baseEnv)).code).toBe(0);
    const result = await run(['-e', 'require(process.argv[1])', ECOSYSTEM], {
      ...env,
      LIVE_IM_BUS_KEYS: oneNodeKey,
      LIVE_IM_BROADCAST_NODES: '2',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('broadcast node 2 needs its own key');
  });

  it('moves every HTTP port and ZeroMQ endpoint with LIVE_IM_PORT_BASE', () => {
    const base = Number(env['LIVE_IM_PORT_BASE']);
    // Two brokers, user services, room services, broadcast nodes and gateways, one node manager.
    expect(apps).toHaveLength(11);
    // Their admin ports, the gateways' public ports, and two ZeroMQ ports per broker and broadcast
    // node and two of the manager.
    expect(ports).toHaveLength(11 + 2 + 10);
    for (const port of ports) expect(port - base).toBeGreaterThanOrEqual(0);
  });

  it('runs every app under pm2 until ready, serves the page and API docs, and stops cleanly', async () => {
    const started = await pm2('start', ECOSYSTEM);
    if (started.code !== 0) throw new Error(`pm2 start failed: ${started.stderr}${started.stdout}`);

    const adminPorts = apps.map((app) => Number(app.env['ADMIN_PORT']));
    await waitFor(
      async () =>
        (await Promise.all(adminPorts.map((p) => status(`http://127.0.0.1:${p}/health/ready`)))).every(
          (s) => s === 200,
        ),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: `every app ready (logs: ${join(WORKSPACE_ROOT, 'tmp/pm2-logs')})`,
      },
    );

    const list = JSON.parse((await pm2('jlist')).stdout) as Array<{
      name: string;
      pid: number;
      pm2_env: { status: string };
    }>;
    expect(list.map((p) => p.name).sort()).toEqual(apps.map((a) => a.name).sort());
    for (const proc of list) {
      expect(proc.pm2_env.status).toBe('online');
      pids.push(proc.pid);
    }
    const daemonPid = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8'));

    const gateway = `http://127.0.0.1:${apps.find((a) => a.name === 'gateway-1')?.env['HTTP_PORT']}`;
    if (existsSync(WEB_INDEX)) {
      const page = await fetch(`${gateway}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      await page.arrayBuffer();
    }
    const docs = await fetch(`${gateway}/api/docs-json`);
    expect(docs.status).toBe(200);
    expect(((await docs.json()) as { openapi?: string }).openapi).toMatch(/^3\./);
    // Metrics on the gateway's admin port only.
    const gatewayAdmin = `http://127.0.0.1:${apps.find((a) => a.name === 'gateway-1')?.env['ADMIN_PORT']}`;
    expect(await status(`${gateway}/metrics`)).toBe(404);
    expect(await status(`${gatewayAdmin}/metrics`)).toBe(200);

    expect((await pm2('delete', 'all')).code).toBe(0);
    expect((await pm2('kill')).code).toBe(0);
    await waitFor(() => ![...pids, daemonPid].some(processAlive), {
      timeoutMs: 10_000,
      what: 'every pm2 process to exit',
    });
    expect((await Promise.all(ports.map(portIsFree))).every(Boolean)).toBe(true);
    // Each app drained and exited 0 on pm2's stop signal (the daemon logs every exit).
    const daemonLog = readFileSync(join(pm2Home, 'pm2.log'), 'utf8');
    for (const app of apps)
      expect(daemonLog).toMatch(new RegExp(`App \\[${app.name}:\\d+\\] exited with code \\[0\\]`));
  });
});
