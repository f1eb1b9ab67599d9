import type { ClusterSnapshot } from './cluster-snapshot';
import { ClusterCharts } from './cluster-charts';
import type { FeedListener, FeedUpdate } from './cluster-feed';
import { byId } from './elements';
import { formatCount, formatDuration } from './format';
import { memberRows } from './member-rows';
import { MemberTable } from './member-table';
import { TopRoomsTable } from './top-rooms-table';

/** The whole page: header, unreachable banner, tiles, charts and tables, redrawn from each poll. */
export class DashboardPage implements FeedListener {
  private readonly members = new MemberTable(
    byId('nodes-body', HTMLTableSectionElement),
    byId('nodes-empty', HTMLElement),
  );
  private readonly topRooms = new TopRoomsTable(
    byId('top-rooms-body', HTMLTableSectionElement),
    byId('top-rooms-empty', HTMLElement),
  );
  private readonly charts = new ClusterCharts({
    in: byId('chart-in', HTMLElement),
    out: byId('chart-out', HTMLElement),
    drops: byId('chart-drops', HTMLElement),
    viewers: byId('chart-viewers', HTMLElement),
  });
  private readonly feed = byId('feed', HTMLElement);
  private readonly feedLabel = byId('feed-label', HTMLElement);
  private readonly banner = byId('banner', HTMLElement);
  private readonly bannerDetail = byId('banner-detail', HTMLElement);
  private lastUpdateAt: number | undefined;

  update({ snapshot, series }: FeedUpdate): void {
    this.lastUpdateAt = Date.now();
    this.banner.hidden = true;
    this.feed.dataset['state'] = 'live';
    this.feedLabel.textContent = 'live';
    this.renderHeader(snapshot);
    this.renderTiles(snapshot, series.total);
    this.members.render(memberRows(snapshot));
    this.topRooms.render(snapshot.audience.topRooms);
    this.charts.update(series);
  }

  failed(reason: string): void {
    this.feed.dataset['state'] = 'down';
    this.feedLabel.textContent = 'unreachable';
    const since =
      this.lastUpdateAt === undefined
        ? 'no data yet'
        : `last data ${formatDuration(Date.now() - this.lastUpdateAt)} ago`;
    this.bannerDetail.textContent = `${reason} (${since}).`;
    this.banner.hidden = false;
  }

  private renderHeader(snapshot: ClusterSnapshot): void {
    const { manager } = snapshot;
    byId('manager-id', HTMLElement).textContent = manager.id;
    const parts = [
      `up ${formatDuration(manager.uptimeMs)}`,
      `topology v${snapshot.version}`,
      `heartbeat ${manager.heartbeatMs} ms`,
    ];
    if (manager.rebuilding) parts.push('rebuilding');
    byId('manager-detail', HTMLElement).textContent = parts.join(' · ');
  }

  private renderTiles(snapshot: ClusterSnapshot, total: FeedUpdate['series']['total']): void {
    const broadcast = snapshot.nodes.filter((node) => node.kind === 'broadcast');
    const active = broadcast.filter((node) => node.state === 'active').length;
    const gateways = snapshot.members.filter((member) => member.kind === 'subscriber').length;
    const last = (values: readonly number[]): number | null => values[values.length - 1] ?? null;
    const inRate = last(total.importantIn);
    const normalRate = last(total.normalIn);
    setText('tile-nodes', `${active} / ${broadcast.length}`);
    setText('tile-gateways', String(gateways));
    setText('tile-viewers', formatCount(snapshot.audience.viewers));
    setText('tile-in', formatCount(inRate === null || normalRate === null ? null : inRate + normalRate));
    setText('tile-out', formatCount(last(total.out)));
    setText('tile-drops', formatCount(last(total.drops)));
  }
}

function setText(id: string, text: string): void {
  const element = byId(id, HTMLElement);
  if (element.textContent !== text) element.textContent = text;
}
