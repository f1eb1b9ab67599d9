import { DEFAULT_RPC_TIMEOUT_MS, RPC_CONTRACTS, RpcContract, RpcError } from '@live-im/contracts';
import { ClientProxy, ReadPacket, WritePacket } from '@nestjs/microservices';
import { StreamObserver } from '../client/pending-call';
import { BrokerPing, CallOptions, RpcClient, RpcClientOptions } from '../client/rpc-client';
import { BrokerProbe } from '../health/broker-probe';
import { BrokerStateListener } from '../socket/broker-state';

export interface ZmqClientOptions extends RpcClientOptions {
  /** Deadline and idempotency by pattern. Default RPC_CONTRACTS. */
  contracts?: ReadonlyMap<string, RpcContract>;
}

// A type, not an interface: ClientProxy's EventsMap must be indexable.
export type ZmqClientEvents = { broker: BrokerStateListener };
export type ZmqClientStatus = 'connected' | 'closed';

/**
 * The caller side as a Nest ClientProxy: `send()` and `emit()` over an RpcClient. Each call takes
 * its deadline and idempotency from its contract (else the client defaults), so a plain
 * `client.send('user.login', {...})` behaves like RpcCaller.call(UserRpc.login, ...).
 */
export class ZmqClient extends ClientProxy<ZmqClientEvents, ZmqClientStatus> implements BrokerProbe {
  readonly rpc: RpcClient;
  private readonly contracts: ReadonlyMap<string, RpcContract>;
  private readonly defaultTimeoutMs: number;
  /** Per-pattern call options, built once: send() is on the hot path. */
  private readonly callOptions = new Map<string, CallOptions>();
  private connected = false;

  constructor(options: ZmqClientOptions) {
    super();
    this.rpc = new RpcClient(options);
    this.contracts = options.contracts ?? RPC_CONTRACTS;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  }

  /** Idempotent: ClientProxy.send() calls it for every message. */
  connect(): Promise<RpcClient> {
    if (!this.connected) {
      this.connected = true;
      this.rpc.start();
      this._status$.next('connected');
    }
    return Promise.resolve(this.rpc);
  }

  async close(): Promise<void> {
    await this.rpc.close();
    this._status$.next('closed');
  }

  override on<EventKey extends keyof ZmqClientEvents = keyof ZmqClientEvents>(
    _event: EventKey,
    callback: ZmqClientEvents[EventKey],
  ): void {
    this.rpc.onBrokerState(callback);
  }

  /** The framework-free RpcClient. */
  unwrap<T>(): T {
    return this.rpc as T;
  }

  ping(timeoutMs: number): Promise<BrokerPing> {
    return this.rpc.ping(timeoutMs);
  }

  /** Deadline and idempotency of a pattern: its contract's, else the client's defaults. */
  optionsFor(pattern: string): CallOptions {
    let options = this.callOptions.get(pattern);
    if (options === undefined) {
      const contract = this.contracts.get(pattern);
      options = {
        timeoutMs: contract?.timeoutMs ?? this.defaultTimeoutMs,
        idempotent: contract?.idempotent ?? false,
      };
      this.callOptions.set(pattern, options);
    }
    return options;
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const pattern = this.normalizePattern(packet.pattern);
    return this.rpc.stream(pattern, packet.data, this.optionsFor(pattern), new PacketObserver(callback));
  }

  protected async dispatchEvent<T = undefined>(packet: ReadPacket): Promise<T> {
    const pattern = this.normalizePattern(packet.pattern);
    await this.rpc.emit(pattern, packet.data, this.optionsFor(pattern));
    return undefined as T;
  }
}

/** Stream replies as the packets ClientProxy.createObserver understands. */
class PacketObserver implements StreamObserver {
  constructor(private readonly callback: (packet: WritePacket) => void) {}

  next(value: unknown): void {
    this.callback({ response: value });
  }

  error(error: RpcError): void {
    this.callback({ err: error });
  }

  complete(): void {
    this.callback({ isDisposed: true });
  }
}
