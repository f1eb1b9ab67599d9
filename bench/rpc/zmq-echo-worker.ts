import { BusSecurityEnv, loadBusSecurity, parseConfig } from '@live-im/config';
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RpcRequest, RpcResponse } from '@live-im/contracts';
import { RpcHandler, ZmqServer } from '@live-im/zmq-transport';
import { BENCH_CONTRACTS, BenchEcho } from './echo-contract';

/** Ours: the same trivial handler as the baseline, served by ZmqServer behind the broker. */
@Controller()
class EchoController {
  @RpcHandler(BenchEcho)
  echo(req: RpcRequest<typeof BenchEcho>): RpcResponse<typeof BenchEcho> {
    return req;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

async function main(): Promise<void> {
  const server = new ZmqServer({
    brokers: [String(process.env['BENCH_BROKER_BACKEND'])],
    service: 'bench',
    instance: `bench-${process.pid}`,
    version: '0.0.0',
    capacity: 256,
    // The bench sets BUS_SECURITY=off for the plain path and the test key set's worker key for CURVE.
    security: loadBusSecurity(parseConfig(BusSecurityEnv, process.env)),
    contracts: BENCH_CONTRACTS,
  });
  const app = await NestFactory.createMicroservice(EchoModule, { strategy: server, logger: ['error'] });
  await app.listen();
  process.send?.('ready');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`zmq echo worker failed: ${String(error)}\n`);
  process.exit(1);
});
