import type { BusSecurity } from '@live-im/config';
import {
  ErrorCode,
  isRpcErrorBody,
  parseOrThrow,
  RPC_CONTRACTS,
  RpcContract,
  RpcError,
} from '@live-im/contracts';
import { newRequestId, RequestContext } from '@live-im/logging';
import { LoggerService } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, RpcException, Server } from '@nestjs/microservices';
import { isObservable, Observer } from 'rxjs';
import { BrokerPing } from '../client/rpc-client';
import { BrokerProbe } from '../health/broker-probe';
import { BrokerStateListener } from '../socket/broker-state';
import { InboundRequest } from '../worker/inbound-request';
import { DrainOptions, RpcWorker } from '../worker/rpc-worker';
import { ZMQ_TRANSPORT } from './zmq-transport.token';
import { ZmqContext } from './zmq.context';

export interface ZmqServerOptions {
  /** Broker backend endpoints. */
  brokers: string[];
  service: string;
  instance: string;
  version: string;
  /** Requests taken at once from each broker. Default 64. */
  capacity?: number;
  heartbeatMs?: number;
  /** Request schemas by pattern. Default RPC_CONTRACTS. */
  contracts?: ReadonlyMap<string, RpcContract>;
  logger?: LoggerService;
  /** Bounds of the drain that close() runs. */
  drain?: DrainOptions;
  /** CURVE towards the brokers; plain when absent or off. */
  security?: BusSecurity;
}

// A type, not an interface: Server's EventsMap must be indexable.
export type ZmqServerEvents = { broker: BrokerStateListener };
export type ZmqServerStatus = 'connected' | 'draining' | 'closed';

/**
 * The worker side as a Nest transport strategy. Follows ServerRedis's flow: decode (the worker
 * core), find the handler, validate against the contract, run it inside the request's log
 * context, and reply; an Observable's values stream (NEXT…), its last value is the final reply.
 * close() drains, so SIGTERM → drain → exit fails no request.
 */
export class ZmqServer
  extends Server<ZmqServerEvents, ZmqServerStatus>
  implements CustomTransportStrategy, BrokerProbe
{
  protected override readonly logger: LoggerService;
  private readonly contracts: ReadonlyMap<string, RpcContract>;
  private worker: RpcWorker | undefined;
  private readonly earlyListeners: BrokerStateListener[] = [];

  constructor(private readonly options: ZmqServerOptions) {
    super();
    this.transportId = ZMQ_TRANSPORT;
    this.logger = options.logger ?? new Logger(ZmqServer.name);
    this.contracts = options.contracts ?? RPC_CONTRACTS;
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      this.worker ??= this.createWorker();
      this.worker.start();
      this._status$.next('connected');
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Drains (DRAIN, DRAIN_ACK, in-flight 0, DISCONNECT), then closes the sockets. */
  async close(): Promise<void> {
    if (this.worker === undefined) return;
    this._status$.next('draining');
    await this.worker.drain(this.options.drain);
    this._status$.next('closed');
  }

  on<EventKey extends keyof ZmqServerEvents = keyof ZmqServerEvents>(
    _event: EventKey,
    callback: ZmqServerEvents[EventKey],
  ): void {
    if (this.worker) this.worker.onBrokerState(callback);
    else this.earlyListeners.push(callback);
  }

  /** The framework-free worker (RpcWorker). */
  unwrap<T>(): T {
    if (this.worker === undefined) {
      throw new Error('Not initialized. Call "listen"/"startAllMicroservices" before unwrapping the server.');
    }
    return this.worker as T;
  }

  /** Health: how many brokers answer a PING within timeoutMs. */
  ping(timeoutMs: number): Promise<BrokerPing> {
    if (this.worker === undefined) return Promise.resolve({ live: 0, total: this.options.brokers.length });
    return this.worker.ping(timeoutMs);
  }

  private createWorker(): RpcWorker {
    const worker = new RpcWorker({
      brokers: this.options.brokers,
      service: this.options.service,
      instance: this.options.instance,
      version: this.options.version,
      capacity: this.options.capacity,
      heartbeatMs: this.options.heartbeatMs,
      security: this.options.security,
      logger: this.logger,
      dispatch: (pattern, payload, request) => this.dispatch(pattern, payload, request),
    });
    for (const listener of this.earlyListeners.splice(0)) worker.onBrokerState(listener);
    return worker;
  }

  private dispatch(pattern: string, payload: unknown, request: InboundRequest): void {
    // A direct lookup: patterns on this wire are plain strings, no JSON route to parse.
    const handler = this.messageHandlers.get(pattern);
    if (handler === undefined) {
      request.fail(
        new RpcError(ErrorCode.UNIMPLEMENTED, `${pattern} is not implemented by ${this.options.service}`),
      );
      return;
    }
    let data = payload;
    const contract = this.contracts.get(pattern);
    if (contract !== undefined) {
      try {
        data = parseOrThrow(contract.request, payload);
      } catch (error) {
        request.fail(error);
        return;
      }
    }
    RequestContext.run(request.traceId || newRequestId(), () => this.handle(handler, data, request));
  }

  private handle(handler: MessageHandler, data: unknown, request: InboundRequest): void {
    const ctx = new ZmqContext([request.pattern, request.traceId, request]);
    this.onProcessingStartHook(this.transportId as symbol, ctx, () =>
      this.invoke(handler, data, ctx, request),
    );
  }

  /**
   * Nest's handler always returns a promise (of a value or an Observable). Its outcome is taken
   * with one `then` rather than an async function awaiting it: a promise and a microtask fewer per
   * call, each of which pays the request-context hooks.
   */
  private invoke(
    handler: MessageHandler,
    data: unknown,
    ctx: ZmqContext,
    request: InboundRequest,
  ): Promise<void> {
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(handler(data, ctx));
    } catch (error) {
      this.failed(error, ctx, request);
      return Promise.resolve();
    }
    return pending.then(
      (result) => this.answer(result, ctx, request),
      (error: unknown) => this.failed(error, ctx, request),
    );
  }

  private answer(result: unknown, ctx: ZmqContext, request: InboundRequest): void {
    if (isObservable(result)) {
      result.subscribe(
        new ObservableReply(request, () => this.onProcessingEndHook?.(this.transportId as symbol, ctx)),
      );
      return;
    }
    try {
      request.value(result, true);
    } catch (error) {
      request.fail(contractError(error));
    }
    this.onProcessingEndHook?.(this.transportId as symbol, ctx);
  }

  private failed(error: unknown, ctx: ZmqContext, request: InboundRequest): void {
    request.fail(contractError(error));
    this.onProcessingEndHook?.(this.transportId as symbol, ctx);
  }
}

/**
 * Nest's `send()` semantics on the wire: each value but the last is a NEXT, the last one goes
 * with the completion as the final OK (so a one-value Observable is an ordinary reply), and a
 * stream that completes empty ends with END.
 */
class ObservableReply implements Observer<unknown> {
  private held: unknown;
  private holding = false;

  constructor(
    private readonly request: InboundRequest,
    private readonly onEnd: () => void,
  ) {}

  next(value: unknown): void {
    if (this.holding) this.request.value(this.held, false);
    this.held = value;
    this.holding = true;
  }

  error(error: unknown): void {
    this.request.fail(contractError(error));
    this.onEnd();
  }

  complete(): void {
    if (this.holding) this.request.value(this.held, true);
    else this.request.end();
    this.onEnd();
  }
}

/** An RpcException carrying a contract error body (or an RpcError) stands for that error. */
function contractError(error: unknown): unknown {
  if (!(error instanceof RpcException)) return error;
  const inner = error.getError();
  return inner instanceof RpcError || isRpcErrorBody(inner) ? inner : error;
}
