import type { MemberRow } from './member-rows';

type Column = Exclude<keyof MemberRow, 'stateNote'>;

const COLUMNS: readonly Column[] = [
  'id',
  'kind',
  'region',
  'state',
  'lastSeen',
  'inState',
  'rooms',
  'subscriptions',
  'inRate',
  'outRate',
  'loadAge',
];
const NUMERIC = new Set<Column>([
  'lastSeen',
  'inState',
  'rooms',
  'subscriptions',
  'inRate',
  'outRate',
  'loadAge',
]);

/**
 * The members table: one `<tr data-node-id>` per member, kept across updates (only text and
 * attributes change), so a row can be watched as its state turns. Text only, never markup.
 */
export class MemberTable {
  private readonly rows = new Map<
    string,
    { tr: HTMLTableRowElement; cells: Map<Column, HTMLTableCellElement> }
  >();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
  ) {}

  render(rows: readonly MemberRow[]): void {
    const ids = new Set(rows.map((row) => row.id));
    for (const [id, row] of this.rows) {
      if (ids.has(id)) continue;
      row.tr.remove();
      this.rows.delete(id);
    }
    for (const row of rows) {
      const entry = this.rows.get(row.id) ?? this.create(row.id);
      entry.tr.dataset['state'] = row.state;
      entry.tr.dataset['kind'] = row.kind;
      for (const column of COLUMNS) {
        const cell = entry.cells.get(column) as HTMLTableCellElement;
        if (column === 'state') this.renderState(cell, row);
        else if (cell.textContent !== row[column]) cell.textContent = row[column];
      }
      // Appending an attached row moves it: the table follows the rows' order.
      this.body.appendChild(entry.tr);
    }
    this.empty.hidden = rows.length > 0;
  }

  private create(id: string): { tr: HTMLTableRowElement; cells: Map<Column, HTMLTableCellElement> } {
    const tr = document.createElement('tr');
    tr.dataset['nodeId'] = id;
    const cells = new Map<Column, HTMLTableCellElement>();
    for (const column of COLUMNS) {
      const td = document.createElement('td');
      td.className = `col-${column}${NUMERIC.has(column) ? ' num' : ''}`;
      tr.appendChild(td);
      cells.set(column, td);
    }
    const entry = { tr, cells };
    this.rows.set(id, entry);
    return entry;
  }

  private renderState(cell: HTMLTableCellElement, row: MemberRow): void {
    let badge = cell.querySelector<HTMLSpanElement>('.state');
    if (badge === null) {
      badge = document.createElement('span');
      badge.className = 'state';
      cell.appendChild(badge);
    }
    badge.dataset['state'] = row.state;
    badge.textContent = row.state;
    cell.title = row.stateNote;
    let note = cell.querySelector<HTMLSpanElement>('.state-note');
    if (row.stateNote === '') {
      note?.remove();
      return;
    }
    if (note === null) {
      note = document.createElement('span');
      note.className = 'state-note';
      cell.appendChild(note);
    }
    note.textContent = row.stateNote;
  }
}
