import 'reflect-metadata';
import { loadConfig } from '@live-im/config';
import { runRpcWorker } from '@live-im/zmq-transport';
import { AppModule } from './app.module';
import { RoomServiceEnv } from './config';

const config = loadConfig(RoomServiceEnv);

runRpcWorker({
  name: 'room-service',
  service: 'room',
  config,
  module: (server) => AppModule.forRoot(config, server),
});
