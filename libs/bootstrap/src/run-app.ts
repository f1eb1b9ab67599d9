import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomStrategy } from '@nestjs/microservices';
import { Logger } from 'nestjs-pino';
import { createLogger } from '@live-im/logging';
import { type AppListeners, guardListeners, listenApp } from './listeners';

export interface RunAppOptions {
  /** For log lines written before Nest's logger exists. */
  name: string;
  module: Type | DynamicModule;
  /** Where its HTTP side listens: always an admin listener, and a public one for the gateway. */
  listeners: AppListeners;
  /** A transport strategy served beside HTTP (a hybrid app), e.g. a ZmqServer. */
  microservice?: CustomStrategy;
  /** HTTP set-up that must precede Nest's routes (CORS, API docs), run before listening. */
  configure?: (app: INestApplication) => void | Promise<void>;
  /** Milliseconds SIGTERM may take before the process exits anyway. */
  shutdownTimeoutMs?: number;
}

/**
 * The hybrid bootstrap every app shares: JSON logs from the first line, an admin listener for
 * probes, metrics and operator tools (plus the public one of an app that has one), an optional
 * ZeroMQ strategy, and a graceful stop on SIGTERM/SIGINT.
 */
export async function runApp(options: RunAppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(options.module, { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  guardListeners(app, options.listeners);
  if (options.microservice) {
    app.connectMicroservice(options.microservice, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await options.configure?.(app);
  const { ports, closeAdmin } = await listenApp(app, options.listeners);
  logger.log(
    {
      msg: 'listening',
      adminPort: ports.admin,
      ...(ports.public === undefined ? {} : { publicPort: ports.public }),
    },
    'Listeners',
  );
  stopOnSignals(app, closeAdmin, options.shutdownTimeoutMs ?? 30_000);
  return app;
}

/**
 * SIGTERM/SIGINT close the app (every shutdown hook runs: drains, socket and Redis closes) and exit 0.
 * Nest's own enableShutdownHooks re-raises the signal, which makes a clean stop look like a crash
 * (exit 143) to pm2 and to tests.
 */
function stopOnSignals(app: INestApplication, closeAdmin: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // If a drain hangs, leave anyway before the orchestrator's own kill.
    setTimeout(() => process.exit(1), timeoutMs).unref();
    // The admin listener outlives the drain, so probes read "not ready" rather than a refusal.
    app
      .close()
      .then(closeAdmin)
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** `runApp(...).catch(exitOnBootFailure(name))`: one JSON line and exit 1. */
export function exitOnBootFailure(name: string): (error: unknown) => never {
  return (error: unknown) => {
    createLogger({ app: name, level: 'error' }).fatal(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      'failed to start',
    );
    process.exit(1);
  };
}
