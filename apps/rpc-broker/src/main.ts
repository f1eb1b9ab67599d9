import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { BrokerEnv } from './broker-config';

const config = loadConfig(BrokerEnv);

runApp({
  name: 'rpc-broker',
  module: AppModule.forRoot(config),
  listeners: { admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT } },
}).catch(exitOnBootFailure('rpc-broker'));
