import { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { Logger } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import { Observable, firstValueFrom } from 'rxjs';
import { freePorts } from '@live-im/testing';
import { pidListeningOn } from '../shared/listening-process';
import { CpuMeter } from '../shared/process-cpu';
import { benchPayload } from './echo-contract';
import { forkReady, stopChild, warmupCalls } from './child-processes';
import { RunResult, firstAnswer, runClosedLoop } from './latency';
import { BrokeredOutcome } from './rpc-results';
import {
  BaselineEndpoint,
  BrokeredTransport,
  NestTransport,
  TRANSPORT_LABELS,
  brokerAddress,
  brokerUrl,
  clientOptions,
  grpcClientOptions,
  isBrokered,
} from './nest-transports';

/** Time a baseline's server, client and first answer get before the run gives up on it. */
const SETUP_TIMEOUT_MS = 30_000;

interface EchoService {
  echo(message: { n: number; text: string }): Observable<unknown>;
}

interface BaselineClient {
  call(i: number): Promise<unknown>;
  close(): Promise<void>;
}

async function connectClient(endpoint: BaselineEndpoint): Promise<BaselineClient> {
  if (endpoint.transport === 'grpc') {
    const client = ClientProxyFactory.create(grpcClientOptions(endpoint));
    const echo = client.getService<EchoService>('Echo');
    return {
      call: (i) => firstValueFrom(echo.echo(benchPayload(i))),
      close: async () => client.close(),
    };
  }
  const client: ClientProxy = ClientProxyFactory.create(clientOptions(endpoint));
  await withTimeout(client.connect(), SETUP_TIMEOUT_MS, `${endpoint.transport} client connect`);
  return {
    call: (i) => firstValueFrom(client.send(endpoint.pattern, benchPayload(i))),
    close: async () => {
      await client.close();
    },
  };
}

/**
 * One NestJS baseline: the trivial handler as a NestJS microservice on `transport` (a server
 * process), called by a NestJS client from this process, `calls` times with `concurrency` in
 * flight. Throws when the run cannot be made or loses calls.
 */
export async function benchNest(
  transport: NestTransport,
  calls: number,
  concurrency: number,
): Promise<RunResult> {
  // The clients' connection logs (LOG level) would interleave with the figures.
  Logger.overrideLogger(['error', 'warn']);
  const runId = `${process.pid}-${Date.now()}`;
  const address =
    transport === 'tcp' || transport === 'grpc' ? String((await freePorts(1))[0]) : brokerUrl(transport);
  const endpoint: BaselineEndpoint = {
    transport,
    address,
    pattern: `bench.echo.${runId}`,
    queue: `bench-echo-${runId}`,
  };
  const server = await forkReady(
    'nest-echo-server.js',
    { BENCH_ENDPOINT: JSON.stringify(endpoint) },
    SETUP_TIMEOUT_MS,
  );
  let client: BaselineClient | undefined;
  try {
    client = await connectClient(endpoint);
    const { call } = client;
    await firstAnswer(call, SETUP_TIMEOUT_MS);
    await runClosedLoop('warm-up', warmupCalls(calls), concurrency, call);
    const brokerPid = isBrokered(transport) ? localBrokerPid(transport, address) : undefined;
    const cpu = new CpuMeter({
      client: process.pid,
      server: serverPid(server),
      ...(brokerPid ? { broker: brokerPid } : {}),
    });
    cpu.start();
    const result = await runClosedLoop(TRANSPORT_LABELS[transport], calls, concurrency, call);
    return { ...result, cpuUsPerCall: cpu.perCallUs(calls) };
  } finally {
    await client?.close();
    await stopChild(server);
  }
}

/** The baseline of bench/rpc's first comparison (and of relay-floor): NestJS's TCP transport. */
export function benchNestTcp(calls: number, concurrency: number): Promise<RunResult> {
  return benchNest('tcp', calls, concurrency);
}

/**
 * A brokered baseline, skipped with the reason when its broker does not answer on loopback or
 * the run cannot be set up against it (the bench never fails for a missing broker).
 */
export async function benchBrokered(
  transport: BrokeredTransport,
  calls: number,
  concurrency: number,
): Promise<BrokeredOutcome> {
  const url = brokerUrl(transport);
  const { host, port } = brokerAddress(transport, url);
  if (!(await answersTcp(host, port, 2_000)))
    return { status: 'skipped', reason: `no server answers at ${host}:${port}` };
  try {
    return { status: 'measured', result: await benchNest(transport, calls, concurrency) };
  } catch (error) {
    return {
      status: 'skipped',
      reason: `${host}:${port} answers, but: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function serverPid(server: ChildProcess): number {
  if (server.pid === undefined) throw new Error('baseline server has no pid');
  return server.pid;
}

/**
 * The broker server's pid when it runs on this host, so its CPU per call is counted like ours'
 * broker's (a broker shared with other work on the host is counted with that work).
 */
function localBrokerPid(transport: BrokeredTransport, url: string): number | undefined {
  const { host, port } = brokerAddress(transport, url);
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]';
  return loopback ? pidListeningOn(port) : undefined;
}

/** True when a TCP connection to host:port opens within `timeoutMs`. */
function answersTcp(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
