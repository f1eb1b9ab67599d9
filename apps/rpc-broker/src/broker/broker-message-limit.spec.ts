import { sendOversizedFrame, waitFor } from '@live-im/testing';
import { RpcClient, RpcWorker, SILENT_LOGGER as SILENT } from '@live-im/zmq-transport';
import { Broker } from './broker';
import { startBroker } from './__tests__/peers';

const FRAME_BYTES = 256 * 1024 * 1024;
/** "A few MB": what the broker may grow by while refusing one 256 MB frame per socket. */
const RSS_SLACK_BYTES = 16 * 1024 * 1024;

/**
 * docs/rpc-protocol.md "Limits": a peer announcing a frame over a socket's maxMessageSize is cut
 * by libzmq before anything is allocated, counted, and the broker keeps serving. The frame comes
 * from a raw ZMTP peer (sendOversizedFrame), so the RSS measured here is the broker's alone.
 */
describe('Broker message size limit', () => {
  let broker: Broker;
  let worker: RpcWorker;
  let client: RpcClient;

  beforeAll(async () => {
    broker = await startBroker({ heartbeatMs: 300 });
    worker = new RpcWorker({
      brokers: [broker.backendEndpoint!],
      service: 'echo',
      instance: 'echo-1',
      version: '1.0.0',
      capacity: 8,
      heartbeatMs: 300,
      logger: SILENT,
      dispatch: (_pattern, payload, request) => request.value(payload, true),
    });
    worker.start();
    client = new RpcClient({ brokers: [broker.frontendEndpoint!], heartbeatMs: 300, logger: SILENT });
    client.start();
    await expect(client.call('echo.ping', { n: 0 })).resolves.toEqual({ n: 0 });
  });

  afterAll(async () => {
    await client?.close();
    await worker?.close();
    await broker?.close();
  });

  it.each([
    ['frontend', () => broker.frontendEndpoint!, () => broker.counters.peerDisconnectsFrontend],
    ['backend', () => broker.backendEndpoint!, () => broker.counters.peerDisconnectsBackend],
  ])(
    'cuts a 256 MB frame on the %s without growing, counts it and keeps serving',
    async (name, endpoint, disconnects) => {
      const before = disconnects();
      const rssBefore = process.memoryUsage().rss;

      const { bytesSent } = await sendOversizedFrame(endpoint(), 'DEALER', { frameBytes: FRAME_BYTES });

      expect(bytesSent).toBeLessThan(FRAME_BYTES);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(RSS_SLACK_BYTES);
      await waitFor(() => disconnects() > before, { what: `the ${name} disconnect counted` });
      await expect(client.call('echo.ping', { n: 1 })).resolves.toEqual({ n: 1 });
    },
  );
});
