import type { ClusterSeries } from '@live-im/contracts';
import { TimeChart } from './time-chart';

/** Line colours: lanes and totals first, then one per node. */
const IMPORTANT = '#ff6b8b';
const NORMAL = '#4dabf7';
const TOTAL = '#f8f9fa';
const DROPS = '#ffa94d';
const MALFORMED = '#e599f7';
const VIEWERS = '#3ddc97';
const CONNECTIONS = '#ffd43b';
const NODE_COLORS = ['#4dabf7', '#3ddc97', '#ff6b8b', '#ffd43b', '#b197fc', '#63e6be', '#ffa94d', '#74c0fc'];

/** The four charts of the page, fed from GET /cluster/series. */
export class ClusterCharts {
  private readonly messagesIn: TimeChart;
  private readonly messagesOut: TimeChart;
  private readonly drops: TimeChart;
  private readonly viewers: TimeChart;

  constructor(elements: { in: HTMLElement; out: HTMLElement; drops: HTMLElement; viewers: HTMLElement }) {
    this.messagesIn = new TimeChart(elements.in);
    this.messagesOut = new TimeChart(elements.out);
    this.drops = new TimeChart(elements.drops);
    this.viewers = new TimeChart(elements.viewers);
  }

  update(series: ClusterSeries): void {
    const { at, total } = series;
    this.messagesIn.update(at, [
      { label: 'important', color: IMPORTANT, values: total.importantIn },
      { label: 'normal', color: NORMAL, values: total.normalIn },
    ]);
    const broadcastNodes = series.nodes.filter((node) => node.kind === 'broadcast');
    this.messagesOut.update(at, [
      { label: 'all nodes', color: TOTAL, values: total.out },
      ...broadcastNodes.map((node, i) => ({
        label: node.id,
        color: NODE_COLORS[i % NODE_COLORS.length],
        values: node.rates.out,
      })),
    ]);
    this.drops.update(at, [
      { label: 'dropped', color: DROPS, values: total.drops },
      { label: 'malformed', color: MALFORMED, values: total.malformed },
    ]);
    this.viewers.update(at, [
      { label: 'viewers', color: VIEWERS, values: total.viewers },
      { label: 'connections', color: CONNECTIONS, values: total.connections },
    ]);
  }
}
