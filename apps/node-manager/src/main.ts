import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { mountDashboard } from './dashboard/dashboard-page';
import { NodeManagerEnv } from './manager-config';

const config = loadConfig(NodeManagerEnv);

runApp({
  name: 'node-manager',
  module: AppModule.forRoot(config),
  host: config.HTTP_HOST,
  port: config.HTTP_PORT,
  configure: (app) => mountDashboard(app, config),
}).catch(exitOnBootFailure('node-manager'));
