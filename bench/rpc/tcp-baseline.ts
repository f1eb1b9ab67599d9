import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { freePorts } from '@live-im/testing';
import { CpuMeter } from '../shared/process-cpu';
import { BenchEcho, benchPayload } from './echo-contract';
import { RunResult, runClosedLoop } from './latency';

/** Calls made before measuring, so both sides are compiled and warm. */
export function warmupCalls(calls: number): number {
  return Math.min(10_000, Math.ceil(calls / 10));
}

/** Forks a script of this folder and resolves once it says it is ready. */
export function forkReady(script: string, env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, script), [], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * The baseline of bench/rpc: the trivial handler as a NestJS `@MessagePattern` on the built-in TCP
 * transport, called directly with `ClientProxy.send` (no broker), `calls` times with
 * `concurrency` in flight.
 */
export async function benchNestTcp(calls: number, concurrency: number): Promise<RunResult> {
  const [port] = (await freePorts(1)) as [number];
  const server = await forkReady('tcp-echo-server.js', { BENCH_TCP_PORT: String(port) });
  const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  const call = (i: number) => firstValueFrom(client.send(BenchEcho.pattern, benchPayload(i)));
  const cpu = new CpuMeter({ client: process.pid, server: server.pid ?? -1 });
  try {
    await runClosedLoop('warm-up', warmupCalls(calls), concurrency, call);
    cpu.start();
    const result = await runClosedLoop('NestJS TCP transport, direct', calls, concurrency, call);
    return { ...result, cpuUsPerCall: cpu.perCallUs(calls) };
  } finally {
    await client.close();
    await stopChild(server);
  }
}
