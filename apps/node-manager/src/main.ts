import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { mountDashboard } from './dashboard/dashboard-page';
import { NodeManagerEnv } from './manager-config';

const config = loadConfig(NodeManagerEnv);

runApp({
  name: 'node-manager',
  module: AppModule.forRoot(config),
  listeners: { admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT } },
  configure: (app) => mountDashboard(app, config),
}).catch(exitOnBootFailure('node-manager'));
