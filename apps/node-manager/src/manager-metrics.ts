import { freshMetricName, LabelValues, scrapeCounter } from '@live-im/health';
import { NodeLoad } from '@live-im/contracts';
import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { type ManagerCounters, type MalformedReason, type NodeManager } from './membership';

const PREFIX = 'node_manager_';

type CountField = Exclude<keyof ManagerCounters, 'malformed' | 'activatedConnected' | 'activatedTimeout'>;

/** The manager's counters that become Prometheus counters, with their help text. */
const COUNTERS: Array<[CountField, string, string]> = [
  ['registrations', 'registrations_total', 'REGISTER messages accepted, retries included'],
  ['replacements', 'replacements_total', 'REGISTER of a known id over a new socket, replacing the old entry'],
  ['heartbeats', 'heartbeats_total', 'HEARTBEAT messages from known members'],
  ['drains', 'drains_total', 'DRAIN messages from known members'],
  ['topologyRequests', 'topology_requests_total', 'GET_TOPOLOGY requests answered'],
  ['unknownReplies', 'unknown_replies_total', 'UNKNOWN replies to members the manager does not know'],
  ['deaths', 'deaths_total', 'Members judged dead after DEAD_AFTER_MS of silence'],
  ['lateSweeps', 'late_sweeps_total', 'Liveness sweeps that came too late to judge anyone'],
  ['topologyPublished', 'topology_published_total', 'Topology messages published, changes and republishes'],
  ['undeliverable', 'undeliverable_replies_total', 'Replies the ROUTER could not hand to their member'],
];

const MALFORMED_REASONS: MalformedReason[] = ['frames', 'header', 'direction', 'json', 'body'];

/** NodeLoad fields, each a per-node gauge named after it (msgsIn → node_manager_node_msgs_in). */
const LOAD_FIELDS = Object.keys(NodeLoad.shape) as Array<keyof NodeLoad>;

/**
 * Prometheus view of the node manager on the default registry, read from the manager when scraped:
 * message handling pays nothing for it.
 */
@Injectable()
export class NodeManagerMetrics {
  track(manager: NodeManager): void {
    const { counters, membership } = manager;
    for (const [field, name, help] of COUNTERS) {
      monotonic(name, help, [], () => [[{}, counters[field]]]);
    }
    monotonic('activations_total', 'Joining nodes made active, by what made them', ['by'], () => [
      [{ by: 'connected' }, counters.activatedConnected],
      [{ by: 'timeout' }, counters.activatedTimeout],
    ]);
    monotonic('malformed_total', 'Malformed messages counted and dropped, by reason', ['reason'], () =>
      MALFORMED_REASONS.map((reason) => [{ reason }, counters.malformed[reason]]),
    );

    new Gauge({
      name: freshMetricName(`${PREFIX}members`),
      help: 'Members by kind and state',
      labelNames: ['kind', 'state'],
      collect() {
        this.reset();
        for (const [kind, byState] of Object.entries(membership.registry.counts())) {
          for (const [state, count] of Object.entries(byState)) this.set({ kind, state }, count);
        }
      },
    });
    new Gauge({
      name: freshMetricName(`${PREFIX}topology_version`),
      help: 'Version of the current topology',
      collect() {
        this.set(membership.book.version);
      },
    });
    for (const field of LOAD_FIELDS) {
      new Gauge({
        name: freshMetricName(`${PREFIX}node_${snake(field)}`),
        help: `${field} from the last heartbeat of each broadcast node or relay`,
        labelNames: ['node'],
        collect() {
          // Reset first: a node removed from the topology must disappear from the scrape.
          this.reset();
          for (const node of membership.registry.nodes()) {
            if (node.load) this.set({ node: node.id }, node.load[field]);
          }
        },
      });
    }
  }
}

function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A counter named under this app's prefix that follows one of the manager's own counts. */
function monotonic(
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[LabelValues, number]>,
): void {
  scrapeCounter(`${PREFIX}${name}`, help, labelNames, read);
}
