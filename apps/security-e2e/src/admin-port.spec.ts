import { EdgeCluster, type HttpAnswer } from './support/edge-cluster';

/** Operational paths of every app: none may answer on the gateway's public listener. */
const OPERATIONAL_PATHS = [
  '/metrics',
  '/health/live',
  '/health/ready',
  '/cluster',
  '/cluster/series',
  '/dashboard',
  '/dashboard/',
  '/stats',
];

/** The same paths as a client might bend them to slip past a filter on the path. */
const BENT_PATHS = [
  '/metrics/',
  '/metrics?format=text',
  '/METRICS',
  '/Health/Ready',
  '//metrics',
  '/%6detrics',
  '/./metrics',
  '/api/../metrics',
  '/health/ready/',
];

/** issue 18, point 3: /metrics, /cluster and the dashboard live on admin listeners only. */
describe('admin listeners', () => {
  let cluster: EdgeCluster;
  let unknownRoute: HttpAnswer;

  beforeAll(async () => {
    cluster = await EdgeCluster.start();
    unknownRoute = await cluster.http({ path: '/no-such-path' });
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('the gateway’s public port answers every operational path as a path with no route', async () => {
    expect(unknownRoute.status).toBe(404);
    for (const path of [...OPERATIONAL_PATHS, ...BENT_PATHS]) {
      const answer = await cluster.http({ path });
      expect({ path, status: answer.status }).toEqual({ path, status: 404 });
      expect(answer.body).not.toContain('# HELP');
      expect(answer.body).not.toContain('"status":"ok"');
    }
    // A HEAD is no way around it either.
    expect((await cluster.http({ method: 'HEAD', path: '/metrics' })).status).toBe(404);
  });

  it('the gateway’s public port still serves its API and Socket.IO', async () => {
    const guest = await cluster.post('/api/auth/guest', {});
    expect(guest.status).toBe(200);
    expect(JSON.parse(guest.body)).toHaveProperty('token');
    const polling = await cluster.http({ path: '/socket.io/?EIO=4&transport=polling' });
    expect(polling.status).toBe(200);
  });

  it('the gateway’s admin port serves the probes and the metrics, and nothing public', async () => {
    const port = cluster.gateway.adminPort;
    expect(port).not.toBe(cluster.gateway.httpPort);
    const metrics = await cluster.http({ port, path: '/metrics' });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('# HELP gateway_connections ');
    expect((await cluster.http({ port, path: '/health/live' })).status).toBe(200);
    expect((await cluster.http({ port, path: '/health/ready' })).status).toBe(200);
    const guest = await cluster.http({
      port,
      method: 'POST',
      path: '/api/auth/guest',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(guest.status).toBe(404);
    expect((await cluster.http({ port, path: '/socket.io/?EIO=4&transport=polling' })).status).toBe(404);
    expect((await cluster.http({ port, path: '/api/docs' })).status).toBe(404);
    expect((await cluster.http({ port, path: '/' })).status).toBe(404);
  });

  it('node-manager’s /cluster and dashboard, and the broker’s /stats, answer on their admin ports', async () => {
    const manager = cluster.manager.adminPort;
    const view = await cluster.http({ port: manager, path: '/cluster' });
    expect(view.status).toBe(200);
    expect(JSON.parse(view.body)).toHaveProperty('nodes');
    // 200 with a built dashboard, 503 naming the build without one: served either way.
    expect([200, 503]).toContain((await cluster.http({ port: manager, path: '/dashboard/' })).status);
    const stats = await cluster.http({ port: cluster.broker.adminPort, path: '/stats' });
    expect(stats.status).toBe(200);
  });
});
