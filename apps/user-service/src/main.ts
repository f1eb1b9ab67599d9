import 'reflect-metadata';
import { loadConfig } from '@live-im/config';
import { runRpcWorker } from '@live-im/zmq-transport';
import { AppModule } from './app.module';
import { UserServiceEnv } from './config';

const config = loadConfig(UserServiceEnv);

runRpcWorker({
  name: 'user-service',
  service: 'user',
  config,
  module: (server) => AppModule.forRoot(config, server),
});
