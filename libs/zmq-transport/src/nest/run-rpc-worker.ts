import { DynamicModule } from '@nestjs/common';
import { exitOnBootFailure, runApp } from '@live-im/bootstrap';
import { BusSecurityEnv, envEndpointList, envInt, loadBusSecurity } from '@live-im/config';
import { z } from 'zod';
import { ZmqServer } from './zmq.server';

/** The environment of an RPC worker; `.extend` an app's schema with `RpcWorkerEnv.shape`. */
export const RpcWorkerEnv = z.object({
  /** The brokers' worker-facing ROUTER endpoints; the worker serves every one of them. */
  RPC_BROKER_BACKENDS: envEndpointList('tcp://127.0.0.1:5556'),
  /** Requests taken at once from each broker. */
  WORKER_CAPACITY: envInt(64, { min: 1, max: 10_000 }),
  HEARTBEAT_MS: envInt(1000, { min: 50, max: 60_000 }),
  /** Shown in broker stats, so a rolling update can be followed worker by worker. */
  SERVICE_VERSION: z.string().min(1).max(64).default('0.1.0'),
  ...BusSecurityEnv.shape,
});

export interface RpcWorkerConfig extends z.output<typeof RpcWorkerEnv> {
  INSTANCE_ID: string;
  ADMIN_HOST: string;
  ADMIN_PORT: number;
}

export interface RunRpcWorkerOptions<C extends RpcWorkerConfig> {
  /** The app's name in logs. */
  name: string;
  /** The service it serves: patterns `<service>.*` come to it. */
  service: string;
  config: C;
  /** The app's root module; it gets the server so readiness can probe the links it serves on. */
  module: (server: ZmqServer) => DynamicModule;
}

/** Boots a service worker: a ZmqServer on every broker beside the HTTP side of probes and metrics. */
export function runRpcWorker<C extends RpcWorkerConfig>(options: RunRpcWorkerOptions<C>): void {
  const { config } = options;
  const server = new ZmqServer({
    brokers: config.RPC_BROKER_BACKENDS,
    service: options.service,
    instance: config.INSTANCE_ID,
    version: config.SERVICE_VERSION,
    capacity: config.WORKER_CAPACITY,
    heartbeatMs: config.HEARTBEAT_MS,
    security: loadBusSecurity(config),
  });
  runApp({
    name: options.name,
    module: options.module(server),
    listeners: { admin: { host: config.ADMIN_HOST, port: config.ADMIN_PORT } },
    microservice: { strategy: server },
  }).catch(exitOnBootFailure(options.name));
}
