import 'reflect-metadata';
import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { loadConfig } from '@live-im/config';
import { AppModule } from './app.module';
import { GatewayEnv } from './config';
import { configureHttpEdge } from './http/http-edge';
import { mountWebPage } from './web/web-page';

const config = loadConfig(GatewayEnv);

runApp({
  name: 'gateway',
  module: AppModule.forRoot(config),
  listeners: {
    public: { host: config.HTTP_HOST, port: config.HTTP_PORT },
    admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT },
  },
  configure: (app) => {
    configureHttpEdge(app, config);
    mountWebPage(app, config);
  },
}).catch(exitOnBootFailure('gateway'));
