import {
  ROOM_STATE_LENGTH,
  BATCH_META_LENGTH,
  batchMetaCount,
  BROADCAST_MESSAGE_LIMITS,
  broadcastCurveOptions,
} from '@live-im/broadcast';
import type { BusSecurity } from '@live-im/config';
import { releaseNodeSockets, secureNodeSocket } from '../shared/bus-policies';
import type { NodeLoad, Topology } from '@live-im/contracts';
import { XPublisher, XSubscriber } from 'zeromq';
import type { ClusterNode } from '../shared/cluster-node';
import {
  countPeerDisconnects,
  logReadFailures,
  readLoop,
  SerialSender,
  SILENT_STRUCTURED_LOGGER,
} from '@live-im/zmq-transport';
import type { NodeLogger } from '../shared/node-logger';
import { SubscriptionBook } from '../shared/subscription-book';
import { emptyRelayCounters, type RelayCounters } from './relay-counters';
import { UpstreamLinks } from './upstream-links';

export interface RelayNodeOptions {
  nodeId: string;
  /** CURVE downstream (subscriber keys) and upstream (the broadcast key); plain when absent or off. */
  security?: BusSecurity;
  /** Where the region's subscribers SUB, e.g. `tcp://0.0.0.0:5571`. */
  pubBind: string;
  pubHighWaterMark?: number;
  logger?: NodeLogger;
}

type RelayState = 'new' | 'running' | 'closing' | 'closed';

const CLOSE_FLUSH_MS = 500;
const PUB_LINGER_MS = 1000;

/**
 * A relay (docs "Regions and relays"): an XPUB bound in its region and one XSUB connected to every
 * broadcast node. Its subscribers' subscriptions are counted per room and forwarded upstream once
 * (on the room's first subscriber, withdrawn on its last), so a batch crosses into the region once;
 * upstream batches go downstream as they are, never re-encoded.
 */
export class RelayNode implements ClusterNode {
  readonly kind = 'relay';
  readonly subscriptions = new SubscriptionBook();
  readonly counters: RelayCounters = emptyRelayCounters();
  private readonly downstream: XPublisher;
  private readonly upstream: XSubscriber;
  private readonly downOut: SerialSender;
  private readonly upOut: SerialSender;
  private readonly links: UpstreamLinks;
  private readonly log: NodeLogger;
  private readers: Promise<void>[] = [];
  private state: RelayState = 'new';
  private zapDomain: string | undefined;

  constructor(private readonly options: RelayNodeOptions) {
    this.log = options.logger ?? SILENT_STRUCTURED_LOGGER;
    this.downstream = new XPublisher({
      linger: PUB_LINGER_MS,
      sendHighWaterMark: options.pubHighWaterMark ?? 100_000,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.subscriptionBytes,
    });
    countPeerDisconnects(this.downstream, 'relay_downstream');
    this.downstream.verbosity = 'allSubsUnsubs';
    this.upstream = new XSubscriber({
      linger: 0,
      receiveHighWaterMark: 100_000,
      maxMessageSize: BROADCAST_MESSAGE_LIMITS.deliveryBytes,
      ...broadcastCurveOptions(options.security),
    });
    const refused = (_frames: Buffer[], error: unknown) => {
      this.counters.sendFailures += 1;
      this.log.warn({ err: error }, 'relay socket refused a frame');
    };
    this.downOut = new SerialSender(this.downstream, refused);
    this.upOut = new SerialSender(this.upstream, refused);
    this.links = new UpstreamLinks(this.upstream);
    // The handshake, not the TCP connect, is when the XSUB replays its subscriptions to the node.
    this.upstream.events.on('handshake', (event) => this.links.onConnection(event.address, true));
    this.upstream.events.on('disconnect', (event) => this.links.onConnection(event.address, false));
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`relay cannot start from state ${this.state}`);
    this.state = 'running';
    try {
      this.zapDomain = await secureNodeSocket(this.downstream, 'relay_output', this.options.security);
      await this.downstream.bind(this.options.pubBind);
    } catch (error) {
      await this.close();
      throw error;
    }
    const running = () => this.state === 'running';
    this.readers = [
      readLoop(
        this.downstream,
        running,
        (frames) => this.onSubscription(frames),
        logReadFailures(this.log, 'xpub'),
      ),
      readLoop(
        this.upstream,
        running,
        (frames) => this.onUpstreamBatch(frames),
        logReadFailures(this.log, 'xsub'),
      ),
    ];
    this.log.info({ nodeId: this.options.nodeId, pub: this.pubEndpoint }, 'relay listening');
  }

  get isRunning(): boolean {
    return this.state === 'running' && this.downstream.lastEndpoint !== null;
  }

  get pullEndpoint(): null {
    return null;
  }

  get pubEndpoint(): string | null {
    return this.downstream.lastEndpoint;
  }

  applyTopology(topology: Topology): void {
    if (this.state !== 'running') return;
    const { added, removed } = this.links.follow(topology);
    if (added.length + removed.length > 0) {
      this.log.info(
        { version: topology.version, added, removed, upstream: this.links.size },
        'relay upstream changed',
      );
    }
  }

  connected(): string[] {
    return this.links.connected();
  }

  load(): NodeLoad {
    const c = this.counters;
    return {
      msgsIn: c.msgsIn,
      msgsOut: c.msgsOut,
      batchesOut: c.batchesOut,
      // A relay does not read lanes: it republishes frames as they are.
      importantIn: 0,
      normalIn: 0,
      droppedCap: 0,
      noSubscriber: 0,
      malformed: c.malformed,
      rooms: this.subscriptions.rooms,
      subscriptions: this.subscriptions.subscriptions,
    };
  }

  async close(): Promise<void> {
    if (this.state === 'closing' || this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    this.upstream.close();
    if (wasRunning) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.downOut.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_FLUSH_MS))),
      ]);
      clearTimeout(timer);
    }
    this.upOut.close();
    this.downOut.close();
    this.downstream.close();
    await Promise.all(this.readers);
    await releaseNodeSockets([this.zapDomain]);
    this.state = 'closed';
    this.log.info({ nodeId: this.options.nodeId }, 'relay closed');
  }

  private onSubscription(frames: Buffer[]): void {
    const frame = frames[0];
    const change = this.subscriptions.apply(frame);
    if (!change || !frame) return;
    // The frame is already byte 1/0 + topic, exactly what the XSUB forwards upstream.
    if (change.kind === 'first') {
      this.counters.upstreamSubscribes += 1;
      this.upOut.push([frame]);
    } else if (change.kind === 'last') {
      this.counters.upstreamUnsubscribes += 1;
      this.upOut.push([frame]);
    }
  }

  private onUpstreamBatch(frames: Buffer[]): void {
    const meta = frames[1];
    // A room state (docs "Room state") is two frames and goes on as it is, like a batch.
    if (frames.length === 2 && meta?.length === ROOM_STATE_LENGTH) {
      this.downOut.push(frames);
      return;
    }
    if (frames.length !== 3 || meta === undefined || meta.length !== BATCH_META_LENGTH) {
      this.counters.malformed += 1;
      return;
    }
    const count = batchMetaCount(meta);
    const c = this.counters;
    c.batchesIn += 1;
    c.msgsIn += count;
    this.downOut.push(frames);
    c.batchesOut += 1;
    c.msgsOut += count;
  }
}
