import type { RoomViewers } from '@live-im/contracts';
import { formatCount } from './format';

/** The rooms with the most viewers over every gateway, biggest first: `<tr data-room-id>`, text only. */
export class TopRoomsTable {
  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
  ) {}

  render(rooms: readonly RoomViewers[]): void {
    const rows = rooms.map((room, index) => {
      const tr = document.createElement('tr');
      tr.dataset['roomId'] = room.roomId;
      tr.append(
        cell(String(index + 1), 'num rank'),
        cell(room.roomId, 'room'),
        cell(formatCount(room.viewers), 'num viewers'),
      );
      return tr;
    });
    this.body.replaceChildren(...rows);
    this.empty.hidden = rooms.length > 0;
  }
}

function cell(text: string, className: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.className = className;
  td.textContent = text;
  return td;
}
