import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { NodeEnv } from './node-config';

const config = loadConfig(NodeEnv);

runApp({
  name: 'broadcast-node',
  module: AppModule.forRoot(config),
  listeners: { admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT } },
}).catch(exitOnBootFailure('broadcast-node'));
