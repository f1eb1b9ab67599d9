import { ClusterSeries } from '@live-im/contracts';
import type { z } from 'zod';
import { ClusterSnapshot } from './cluster-snapshot';

/** How long one poll may take before the manager counts as unreachable. */
export const FETCH_TIMEOUT_MS = 2500;
export const POLL_MS = 1000;

export interface FeedUpdate {
  snapshot: ClusterSnapshot;
  series: ClusterSeries;
}

export interface FeedListener {
  update(update: FeedUpdate): void;
  /** A poll failed; the page keeps showing what it has. */
  failed(reason: string): void;
}

/**
 * Polls the manager's /cluster and /cluster/series once a second, one poll at a time (a slow
 * manager is not piled on), each request bounded by FETCH_TIMEOUT_MS and its body validated.
 */
export class ClusterFeed {
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly base: URL,
    private readonly listener: FeedListener,
  ) {}

  start(): void {
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    try {
      const [snapshot, series] = await Promise.all([
        this.read('cluster', ClusterSnapshot),
        this.read('cluster/series', ClusterSeries),
      ]);
      this.listener.update({ snapshot, series });
    } catch (error) {
      this.listener.failed(error instanceof Error ? error.message : String(error));
    }
    if (!this.stopped) this.timer = window.setTimeout(() => void this.poll(), POLL_MS);
  }

  private async read<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), cache: 'no-store' });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new Error(
        timedOut ? `${url.pathname} took longer than ${FETCH_TIMEOUT_MS} ms` : `${url.pathname}: no answer`,
      );
    }
    if (!response.ok) throw new Error(`${url.pathname} answered ${response.status}`);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new Error(`${url.pathname} sent an unexpected body`);
    return parsed.data;
  }
}
