import { freshMetricName, LabelValues, scrapeCounter } from '@live-im/health';
import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import type { Broker } from './broker';
import { COUNTER_VIEWS } from './broker/broker-stats';

const PREFIX = 'rpc_broker_';
/** Every RESIDENCE_SAMPLE-th dispatch feeds the residence histogram. */
const RESIDENCE_SAMPLE = 16;

/**
 * Prometheus view of the broker on the default registry. Counts are read from the broker when
 * scraped, so the hot path pays nothing for them; only the residence histogram is fed, by a sample of dispatches.
 */
@Injectable()
export class BrokerMetrics {
  private readonly residence: Histogram;
  private dispatches = 0;

  constructor() {
    this.residence = new Histogram({
      name: freshMetricName(`${PREFIX}residence_seconds`),
      help: 'Time from a request arriving at the broker to its dispatch to a worker',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
  }

  /**
   * Broker hook: a request was dispatched `residenceMs` after it arrived. One request in
   * RESIDENCE_SAMPLE is observed: a histogram update per request was 4% of the broker's CPU, and
   * the distribution of a sample is the distribution.
   */
  observeDispatch(residenceMs: number): void {
    this.dispatches = (this.dispatches + 1) % RESIDENCE_SAMPLE;
    if (this.dispatches === 0) this.residence.observe(residenceMs / 1000);
  }

  /** Registers the scrape-time metrics that read `broker`. */
  track(broker: Broker): void {
    // STATS_REPLY carries the same counts (COUNTER_VIEWS); keep the two in step.
    for (const { field, metric, help } of COUNTER_VIEWS) {
      monotonic(metric, help, [], () => [[{}, broker.counters[field]]]);
    }
    monotonic('malformed_total', 'Malformed messages counted and dropped, per socket', ['socket'], () => [
      [{ socket: 'frontend' }, broker.counters.malformedFrontend],
      [{ socket: 'backend' }, broker.counters.malformedBackend],
    ]);
    monotonic(
      'peer_disconnects_total',
      "Peer connections dropped, per socket: a peer sending a frame over the socket's message limit is cut by libzmq (which gives no reason), as is one that went away",
      ['socket'],
      () => [
        [{ socket: 'frontend' }, broker.counters.peerDisconnectsFrontend],
        [{ socket: 'backend' }, broker.counters.peerDisconnectsBackend],
      ],
    );

    new Gauge({
      name: freshMetricName(`${PREFIX}queue_depth`),
      help: 'Requests waiting for credit, per service',
      labelNames: ['service'],
      collect() {
        this.reset();
        for (const [service, stats] of Object.entries(broker.services())) this.set({ service }, stats.queued);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}workers`),
      help: 'Workers per service and state',
      labelNames: ['service', 'state'],
      collect() {
        this.reset();
        for (const [service, stats] of Object.entries(broker.services())) {
          const draining = stats.workers.filter((w) => w.draining).length;
          this.set({ service, state: 'ready' }, stats.workers.length - draining);
          this.set({ service, state: 'draining' }, draining);
        }
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}in_flight`),
      help: 'Requests held by workers',
      collect() {
        this.set(broker.dispatcher.inFlightCount);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}queued_bytes`),
      help: 'Bytes of request bodies waiting in queues',
      collect() {
        this.set(broker.dispatcher.queuedBytes);
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}clients`),
      help: 'Live clients',
      collect() {
        this.set(broker.dispatcher.clients.size);
      },
    });
  }
}

/** A counter named under this app's prefix that follows one of the broker's own counts. */
function monotonic(
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[LabelValues, number]>,
): void {
  scrapeCounter(`${PREFIX}${name}`, help, labelNames, read);
}
