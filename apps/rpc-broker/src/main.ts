import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { BrokerEnv } from './broker-config';

const config = loadConfig(BrokerEnv);

runApp({
  name: 'rpc-broker',
  module: AppModule.forRoot(config),
  host: config.HTTP_HOST,
  port: config.HTTP_PORT,
}).catch(exitOnBootFailure('rpc-broker'));
