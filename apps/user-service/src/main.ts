import 'reflect-metadata';
import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { ZmqServer } from '@live-im/zmq-transport';
import { AppModule } from './app.module';
import { UserServiceEnv } from './config';

const NAME = 'user-service';

async function bootstrap(): Promise<void> {
  const config = loadConfig(UserServiceEnv);
  const server = new ZmqServer({
    brokers: config.RPC_BROKER_BACKENDS,
    service: 'user',
    instance: config.INSTANCE_ID,
    version: config.SERVICE_VERSION,
    capacity: config.WORKER_CAPACITY,
    heartbeatMs: config.HEARTBEAT_MS,
  });
  await runApp({
    name: NAME,
    module: AppModule.forRoot(config, server),
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    microservice: { strategy: server },
  });
}

bootstrap().catch(exitOnBootFailure(NAME));
