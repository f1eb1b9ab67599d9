import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { NodeEnv } from './node-config';

const config = loadConfig(NodeEnv);

runApp({
  name: 'broadcast-node',
  module: AppModule.forRoot(config),
  host: config.HTTP_HOST,
  port: config.HTTP_PORT,
}).catch(exitOnBootFailure('broadcast-node'));
