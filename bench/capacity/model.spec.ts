import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@live-im/testing';
import { capacityFigures, capacityTable, TABLE_BEGIN, TABLE_END } from './model';
import { CAPACITY_DOC, readBenchResults } from './results';

/** Markdown tables compared by their cells, so that a formatter's column padding does not count. */
function cells(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) =>
      line.trim().startsWith('|')
        ? line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+$/, '---'))
            .join('|')
        : line.trim(),
    )
    .filter((line) => line.length > 0);
}

describe('the capacity model', () => {
  const results = readBenchResults(WORKSPACE_ROOT);

  it('is what docs/capacity.md shows: the doc follows bench/results (npm run capacity rewrites it)', () => {
    const doc = readFileSync(join(WORKSPACE_ROOT, CAPACITY_DOC), 'utf8');
    const block = doc.slice(doc.indexOf(TABLE_BEGIN), doc.indexOf(TABLE_END) + TABLE_END.length);
    expect(cells(block)).toEqual(cells(capacityTable(results)));
  });

  it('needs one gateway core per measured viewers-per-core share of the room', () => {
    const figures = capacityFigures({
      ...results,
      bigroom: { ...results.bigroom, viewers_per_core: 10_000 },
    });
    expect(figures.gatewayCores).toBe(1500);
  });

  it('puts relays in only when one publisher cannot feed every gateway', () => {
    const f = capacityFigures(results);
    if (f.gatewayCores <= f.subscribersPerPublisher) expect(f.relays).toBe(0);
    else expect(f.relays).toBe(Math.ceil(f.gatewayCores / f.subscribersPerPublisher));
    expect(f.nodeSubscribers).toBeLessThanOrEqual(Math.max(f.subscribersPerPublisher, f.gatewayCores));
  });
});
