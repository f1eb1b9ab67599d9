import { join } from 'node:path';
import { ClientOptions, GrpcOptions, MicroserviceOptions, Transport } from '@nestjs/microservices';
import { z } from 'zod';
import { WORKSPACE_ROOT } from '@live-im/testing';

/**
 * The NestJS transports bench/rpc measures ours against: what a NestJS team would pick instead of
 * a ZeroMQ broker. Direct ones (the client connects to the server) and brokered ones (client and
 * server both connect to a broker server on loopback, which routes the calls).
 */
export const DIRECT_TRANSPORTS = ['tcp', 'grpc'] as const;
export const BROKERED_TRANSPORTS = ['nats', 'redis', 'rabbitmq'] as const;
export type DirectTransport = (typeof DIRECT_TRANSPORTS)[number];
export type BrokeredTransport = (typeof BROKERED_TRANSPORTS)[number];
export type NestTransport = DirectTransport | BrokeredTransport;

export function isBrokered(transport: NestTransport): transport is BrokeredTransport {
  return (BROKERED_TRANSPORTS as readonly string[]).includes(transport);
}

export const TRANSPORT_LABELS: Record<NestTransport, string> = {
  tcp: 'NestJS TCP, direct',
  grpc: 'NestJS gRPC, direct',
  nats: 'NestJS NATS, brokered',
  redis: 'NestJS Redis, brokered',
  rabbitmq: 'NestJS RabbitMQ, brokered',
};

/** Where each brokered transport's server is expected; BENCH_<NAME>_URL overrides it. */
export function brokerUrl(transport: BrokeredTransport): string {
  const defaults: Record<BrokeredTransport, string> = {
    nats: 'nats://127.0.0.1:4222',
    redis: 'redis://127.0.0.1:6379',
    rabbitmq: 'amqp://guest:guest@127.0.0.1:5672',
  };
  return process.env[`BENCH_${transport.toUpperCase()}_URL`] ?? defaults[transport];
}

const DEFAULT_BROKER_PORTS: Record<BrokeredTransport, number> = { nats: 4222, redis: 6379, rabbitmq: 5672 };

/** Host and port of a broker URL, to check that something answers there before a run. */
export function brokerAddress(transport: BrokeredTransport, url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : DEFAULT_BROKER_PORTS[transport] };
}

/** The .proto of the gRPC baseline (read from the source tree: tsc does not copy it into dist). */
export const ECHO_PROTO = join(WORKSPACE_ROOT, 'bench/rpc/echo.proto');

/** What the client and the server process of one baseline run agree on (passed to the server as JSON). */
export const BaselineEndpoint = z.object({
  transport: z.enum([...DIRECT_TRANSPORTS, ...BROKERED_TRANSPORTS]),
  /** tcp and grpc: the server's port on 127.0.0.1; the brokered ones: the broker's URL. */
  address: z.string().min(1),
  /**
   * The message pattern (NATS subject, Redis channel) and RabbitMQ queue of this run: unique, so
   * two runs sharing a broker never answer each other's calls.
   */
  pattern: z.string().min(1),
  queue: z.string().min(1),
});
export type BaselineEndpoint = z.infer<typeof BaselineEndpoint>;

// A queue of this run only: gone from RabbitMQ when its consumer disconnects. Client and server
// must assert it with the same options.
const RABBITMQ_QUEUE_OPTIONS = { durable: false, autoDelete: true };

function grpcOptions(endpoint: BaselineEndpoint): GrpcOptions['options'] {
  return { url: `127.0.0.1:${endpoint.address}`, package: 'bench', protoPath: ECHO_PROTO };
}

/** The options of the baseline's server, each transport with NestJS's defaults otherwise. */
export function serverOptions(endpoint: BaselineEndpoint): MicroserviceOptions {
  switch (endpoint.transport) {
    case 'tcp':
      return { transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(endpoint.address) } };
    case 'grpc':
      return { transport: Transport.GRPC, options: grpcOptions(endpoint) };
    case 'nats':
      return { transport: Transport.NATS, options: { servers: [endpoint.address] } };
    case 'redis':
      return { transport: Transport.REDIS, options: redisOptions(endpoint.address) };
    case 'rabbitmq':
      return {
        transport: Transport.RMQ,
        options: { urls: [endpoint.address], queue: endpoint.queue, queueOptions: RABBITMQ_QUEUE_OPTIONS },
      };
  }
}

/** The options of the baseline's `ClientProxy` (gRPC: see grpcClientOptions). */
export function clientOptions(endpoint: BaselineEndpoint): ClientOptions {
  switch (endpoint.transport) {
    case 'tcp':
      return { transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(endpoint.address) } };
    case 'grpc':
      return grpcClientOptions(endpoint);
    case 'nats':
      return { transport: Transport.NATS, options: { servers: [endpoint.address] } };
    case 'redis':
      return { transport: Transport.REDIS, options: redisOptions(endpoint.address) };
    case 'rabbitmq':
      return {
        transport: Transport.RMQ,
        options: { urls: [endpoint.address], queue: endpoint.queue, queueOptions: RABBITMQ_QUEUE_OPTIONS },
      };
  }
}

export function grpcClientOptions(endpoint: BaselineEndpoint): {
  transport: Transport.GRPC;
  options: GrpcOptions['options'];
} {
  return { transport: Transport.GRPC, options: grpcOptions(endpoint) };
}

function redisOptions(url: string): { host: string; port: number; username?: string; password?: string } {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : DEFAULT_BROKER_PORTS.redis,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}
