import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports';

/** The asset a scratch build holds, as Vite names its bundles. */
export const SCRATCH_ASSET = 'assets/index-abc123.js';

/** What PageScratch needs of an HTTP app (a Nest application). */
export interface ListeningApp {
  listen(port: number, host: string): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * For specs of an app serving a built web page: temporary build folders and the apps listening
 * on them, all removed by close().
 */
export class PageScratch {
  private readonly dirs: string[] = [];
  private readonly apps: ListeningApp[] = [];

  /** A new empty folder; with `indexHtml`, a build in it: index.html and SCRATCH_ASSET. */
  folder(prefix: string, indexHtml?: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    if (indexHtml !== undefined) {
      mkdirSync(join(dir, 'assets'));
      writeFileSync(join(dir, 'index.html'), indexHtml);
      writeFileSync(join(dir, SCRATCH_ASSET), 'console.log("built")');
    }
    return dir;
  }

  /** Listens on a free loopback port; returns the base URL. */
  async listen(app: ListeningApp): Promise<string> {
    this.apps.push(app);
    const [port] = (await freePorts(1)) as [number];
    await app.listen(port, '127.0.0.1');
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.apps.splice(0).map((app) => app.close()));
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
