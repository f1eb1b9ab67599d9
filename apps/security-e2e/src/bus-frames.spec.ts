import { metricSample, sendOversizedFrame, waitFor } from '@live-im/testing';
import { randomBytes } from 'node:crypto';
import { EdgeCluster, rssBytes } from './support/edge-cluster';

const FRAME_BYTES = 256 * 1024 * 1024;
/** "A few MB": what a process may grow by while refusing one 256 MB frame. */
const RSS_SLACK_BYTES = 16 * 1024 * 1024;

/** issue 18, point 2: one 256 MB frame to the broker or a node is cut, counted, and costs no memory. */
describe('oversized frames on the bus', () => {
  let cluster: EdgeCluster;

  beforeAll(async () => {
    cluster = await EdgeCluster.start();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it.each([
    [
      'broker frontend',
      () => cluster.broker,
      () => cluster.brokerFrontend,
      'DEALER' as const,
      ['rpc_broker_peer_disconnects_total', { socket: 'frontend' }] as const,
    ],
    [
      'broker backend',
      () => cluster.broker,
      () => cluster.brokerBackend,
      'DEALER' as const,
      ['rpc_broker_peer_disconnects_total', { socket: 'backend' }] as const,
    ],
    [
      'broadcast node PULL',
      () => cluster.node,
      () => cluster.nodePull,
      'PUSH' as const,
      ['zmq_peer_disconnects_total', { socket: 'broadcast_node_pull' }] as const,
    ],
  ])(
    'the %s cuts a 256 MB frame, counts it, stays flat and keeps serving',
    async (name, app, endpoint, type, [metric, labels]) => {
      const target = app();
      const before = await metricSample(target.url, metric, labels);
      const rssBefore = rssBytes(target.pid);

      const { bytesSent } = await sendOversizedFrame(endpoint(), type, { frameBytes: FRAME_BYTES });

      expect(bytesSent).toBeLessThan(FRAME_BYTES);
      await waitFor(async () => (await metricSample(target.url, metric, labels)) > before, {
        what: `the ${name} disconnect counted`,
      });
      expect(rssBytes(target.pid) - rssBefore).toBeLessThan(RSS_SLACK_BYTES);
      expect(target.running).toBe(true);
      expect((await fetch(`${target.url}/health/ready`)).status).toBe(200);
      // The whole path still serves: a register call crosses the gateway, the broker and user-service.
      const registered = await cluster.post('/api/auth/register', {
        username: `after_${randomBytes(4).toString('hex')}`,
        password: 'a-password-1',
        nickname: 'after',
      });
      expect(registered.status).toBe(201);
    },
  );
});
