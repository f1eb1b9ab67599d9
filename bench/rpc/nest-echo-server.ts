import 'reflect-metadata';
import { Controller, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, MessagePattern, Payload } from '@nestjs/microservices';
import { BaselineEndpoint, serverOptions } from './nest-transports';

/**
 * The baselines' server: the same trivial handler as ours, as a NestJS microservice on one of
 * NestJS's own transports (BENCH_ENDPOINT, JSON of a BaselineEndpoint, says which and where).
 */
const endpoint = BaselineEndpoint.parse(JSON.parse(process.env['BENCH_ENDPOINT'] ?? 'null'));

@Controller()
class EchoController {
  // The pattern is this run's own (read above, before the decorator runs).
  @MessagePattern(endpoint.pattern)
  echo(@Payload() payload: unknown): unknown {
    return payload;
  }
}

interface EchoMessage {
  n: number;
  text: string;
}

@Controller()
class GrpcEchoController {
  @GrpcMethod('Echo', 'Echo')
  echo(message: EchoMessage): EchoMessage {
    return message;
  }
}

async function main(): Promise<void> {
  const controller: Type = endpoint.transport === 'grpc' ? GrpcEchoController : EchoController;
  @Module({ controllers: [controller] })
  class EchoModule {}
  const app = await NestFactory.createMicroservice(EchoModule, {
    ...serverOptions(endpoint),
    logger: ['error'],
  });
  await app.listen();
  process.send?.('ready');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
  // The bench died without stopping this server: do not outlive it.
  process.once('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`nest echo server (${endpoint.transport}) failed: ${String(error)}\n`);
  process.exit(1);
});
