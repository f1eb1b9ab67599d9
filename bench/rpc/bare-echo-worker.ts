import { BusSecurityEnv, loadBusSecurity, parseConfig } from '@live-im/config';
import { RpcWorker, SILENT_LOGGER } from '@live-im/zmq-transport';

/**
 * For comparison only (`BENCH_WORKER=bare npm run bench:rpc`): the same echo served by the
 * framework-free RpcWorker, with no NestJS handler pipeline, no contract validation and no
 * request-id context. What the NestJS worker of bench/rpc costs on top of the transport.
 */
function main(): void {
  const worker = new RpcWorker({
    brokers: [String(process.env['BENCH_BROKER_BACKEND'])],
    service: 'bench',
    instance: `bench-bare-${process.pid}`,
    version: '0.0.0',
    capacity: 256,
    // The bench sets BUS_SECURITY=off for the plain path and the test key set's worker key for CURVE.
    security: loadBusSecurity(parseConfig(BusSecurityEnv, process.env)),
    logger: SILENT_LOGGER,
    dispatch: (_pattern, payload, request) => request.value(payload, true),
  });
  worker.start();
  process.send?.('ready');
  process.once('SIGTERM', () => void worker.drain().then(() => process.exit(0)));
}

main();
