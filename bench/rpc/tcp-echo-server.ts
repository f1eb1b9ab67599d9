import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';

/** The baseline: the same trivial handler behind NestJS's built-in TCP transport, no broker. */
@Controller()
class EchoController {
  @MessagePattern('bench.echo')
  echo(@Payload() payload: unknown): unknown {
    return payload;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

async function main(): Promise<void> {
  const port = Number(process.env['BENCH_TCP_PORT']);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: ['error'],
  });
  await app.listen();
  process.send?.('ready');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stderr.write(`tcp echo server failed: ${String(error)}\n`);
  process.exit(1);
});
