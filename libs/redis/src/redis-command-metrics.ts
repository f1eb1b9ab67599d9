import { performance } from 'node:perf_hooks';
import type { Command } from 'ioredis';
import type { RedisClient } from './redis-client';
import { Counter, Histogram, register, Registry } from 'prom-client';

export const REDIS_DURATION_NAME = 'redis_command_duration_seconds';
export const REDIS_ERRORS_NAME = 'redis_command_errors_total';

/** Upper bounds in seconds: a loopback command takes ~0.1–0.3 ms; a Lua send a little more. */
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Distinct command names labelled; `redis.call()` takes any name, so the label set needs a bound. */
export const MAX_REDIS_COMMANDS = 64;
export const OTHER_COMMAND = 'other';

/** The prom-client children of one command name, made once. */
interface CommandSeries {
  duration: { observe(seconds: number): void };
  errors: { inc(): void };
}

/**
 * Latency and errors of Redis commands, by lower-case command name (evalsha for a LuaScript, each
 * command of a pipeline or MULTI on its own). One instance per registry: `shared()` is the one on
 * prom-client's default registry, served at /metrics.
 */
export class RedisCommandMetrics {
  private static sharedInstance: RedisCommandMetrics | undefined;
  private readonly duration: Histogram<'command'>;
  private readonly errors: Counter<'command'>;
  /** By the name as sent (ioredis keeps the caller's case), so lower-casing happens once per name. */
  private readonly byName = new Map<string, CommandSeries>();
  private readonly byLabel = new Map<string, CommandSeries>();

  constructor(registry: Registry = register) {
    this.duration = new Histogram({
      name: REDIS_DURATION_NAME,
      help: 'Redis commands, from the write (with auto-pipelining: when their pipeline leaves) to the reply or error, by lower-case command name',
      labelNames: ['command'],
      buckets: BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: REDIS_ERRORS_NAME,
      help: 'Redis commands that ended in an error (a reply error, a lost connection), by command name',
      labelNames: ['command'],
      registers: [registry],
    });
  }

  /** The instance on the default registry; made again if a test cleared the registry. */
  static shared(): RedisCommandMetrics {
    const current = RedisCommandMetrics.sharedInstance;
    if (current !== undefined && register.getSingleMetric(REDIS_DURATION_NAME) === current.duration)
      return current;
    register.removeSingleMetric(REDIS_DURATION_NAME);
    register.removeSingleMetric(REDIS_ERRORS_NAME);
    RedisCommandMetrics.sharedInstance = new RedisCommandMetrics(register);
    return RedisCommandMetrics.sharedInstance;
  }

  /** Starts timing `command`: observed when its promise settles. */
  time(command: Command): void {
    const started = performance.now();
    const series = this.seriesOf(command.name);
    command.promise.then(
      () => series.duration.observe((performance.now() - started) / 1000),
      () => {
        series.duration.observe((performance.now() - started) / 1000);
        series.errors.inc();
      },
    );
  }

  private seriesOf(name: string): CommandSeries {
    let series = this.byName.get(name);
    if (series !== undefined) return series;
    const lower = name.toLowerCase();
    const label = this.byLabel.has(lower) || this.byLabel.size < MAX_REDIS_COMMANDS ? lower : OTHER_COMMAND;
    series = this.byLabel.get(label);
    if (series === undefined) {
      series = { duration: this.duration.labels(label), errors: this.errors.labels(label) };
      this.byLabel.set(label, series);
    }
    if (this.byName.size < 4 * MAX_REDIS_COMMANDS) this.byName.set(name, series);
    return series;
  }
}

/**
 * Times every command `redis` sends. ioredis has no command hook, so the instance's sendCommand is
 * wrapped: every command goes through it, those of pipelines and MULTI included. A command sent
 * again (from the offline queue after a reconnect, or by a cluster client after a redirection) is
 * timed once, from its first send.
 */
export function timeRedisCommands<C extends RedisClient>(
  redis: C,
  metrics: RedisCommandMetrics = RedisCommandMetrics.shared(),
): C {
  // A cluster client's sendCommand takes a third argument (the node a pipeline goes to): all pass on.
  type Send = (command: Command, ...rest: unknown[]) => unknown;
  const send = (redis.sendCommand as Send).bind(redis);
  const timed = new WeakSet<Command>();
  (redis as unknown as { sendCommand: Send }).sendCommand = (command, ...rest) => {
    if (!timed.has(command)) {
      timed.add(command);
      metrics.time(command);
    }
    return send(command, ...rest);
  };
  return redis;
}
