// The dialog shown when a save answers 409: it says that nothing was saved, shows each
// field the user tried to change with their value and the current one (differences
// marked), who changed what since the user loaded it, and the current version. It saves
// nothing itself: "Refresh & Retry" reloads and re-applies the user's changes into the
// form for review, "Cancel" discards them.
import type { EntityDescription } from '../api/entity-description';
import type { HistoryEntry } from '../api/errors';
import { formatTimestamp, formatValue } from '../format';
import { conflictRows } from '../form-model';
import type { Session } from '../session';
import { h } from './dom';

export type ConflictChoice = 'retry' | 'cancel';

export interface ConflictInfo {
  /** conflict: a stale version; constraint: a rule against other data (unique value, capacity...). */
  kind: 'conflict' | 'constraint';
  description: EntityDescription;
  /** The fields the user tried to change, with API values. */
  attempted: Record<string, unknown>;
  /** The entity as it is now; null when it was deleted. */
  current: Record<string, unknown> | null;
  currentVersion: number | null;
  changesSince: HistoryEntry[];
  /** The server's explanation (the problem's detail). */
  detail: string;
}

let dialogCount = 0;

export async function showConflictDialog(info: ConflictInfo, session: Session): Promise<ConflictChoice> {
  const n = ++dialogCount;
  const label = info.description.label.toLowerCase();
  const deleted = info.kind === 'conflict' && info.current === null;
  const names = await Promise.all(info.changesSince.map((c) => session.userName(c.user_id).catch(() => c.user_id)));
  const fieldLabel = (name: string) => info.description.fields.find((f) => f.name === name)?.label ?? name;
  const fieldOf = (name: string) => info.description.fields.find((f) => f.name === name);

  const heading =
    info.kind === 'constraint' ? 'Your changes were not saved' : deleted ? `This ${label} was deleted` : `Someone else changed this ${label}`;
  const explanation =
    info.kind === 'constraint'
      ? `Your changes were not saved because they collide with other data: ${info.detail}`
      : deleted
        ? `Your changes were not saved: the ${label} was deleted after you opened it.`
        : `Your changes were not saved, because someone else saved this ${label} after you opened it. ` +
          'Compare your values with the current ones below. "Refresh & Retry" loads the current version and puts your changes back into the form for you to review and save; "Cancel" discards your changes.';

  const rows = conflictRows(info.description, info.attempted, info.current);
  const table = h(
    'table',
    { className: 'conflict-table' },
    h('caption', {}, 'The fields you changed'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Your value'), h('th', { scope: 'col' }, 'Current value'), h('th', { scope: 'col' }, 'Differs'))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          { className: r.differs ? 'differs' : 'same', dataset: { field: r.field.name } },
          h('th', { scope: 'row' }, r.field.label),
          h('td', { className: 'yours' }, r.differs ? h('mark', {}, formatValue(r.yours, r.field)) : formatValue(r.yours, r.field)),
          h('td', { className: 'current' }, r.differs ? h('mark', {}, deleted ? '(deleted)' : formatValue(r.current, r.field)) : formatValue(r.current, r.field)),
          h('td', {}, r.differs ? 'Yes' : 'No'),
        ),
      ),
      rows.length === 0 ? h('tr', {}, h('td', { colSpan: 4 }, 'You tried to delete it.')) : null,
    ),
  );

  const since = info.changesSince.length
    ? h(
        'ol',
        { className: 'changes-since', 'aria-label': 'Changes since you opened it' },
        info.changesSince.map((c, i) =>
          h(
            'li',
            {},
            h('span', { className: 'change-head' }, `Version ${c.version} · ${formatTimestamp(c.recorded_at)} · ${names[i]}`),
            Object.keys(c.changes ?? {}).length
              ? h(
                  'ul',
                  {},
                  Object.entries(c.changes).map(([field, ch]) =>
                    h('li', {}, `${fieldLabel(field)}: ${formatValue(ch.from, fieldOf(field))} → ${formatValue(ch.to, fieldOf(field))}`),
                  ),
                )
              : h('span', {}, c.event_type?.endsWith('Deleted') || (deleted && i === info.changesSince.length - 1) ? ' deleted it' : ' (no field changes)'),
          ),
        ),
      )
    : h('p', {}, info.kind === 'constraint' ? 'Nobody else changed this item since you opened it.' : 'No changes were listed.');

  const retry = h('button', { type: 'button', autofocus: true, disabled: deleted }, 'Refresh & Retry');
  const cancel = h('button', { type: 'button', className: 'secondary' }, 'Cancel');
  const dialog = h(
    'dialog',
    { className: 'conflict-dialog', 'aria-labelledby': `conflict-title-${n}`, 'aria-describedby': `conflict-text-${n}` },
    h('h2', { id: `conflict-title-${n}` }, heading),
    h('p', { id: `conflict-text-${n}` }, explanation),
    h('div', { className: 'table-scroll' }, table),
    h('h3', {}, 'Changed since you opened it'),
    since,
    h('p', { className: 'current-version' }, info.currentVersion !== null ? `Current version: ${info.currentVersion}` : deleted ? 'Current version: deleted' : ''),
    h('div', { className: 'dialog-buttons' }, retry, cancel),
  );
  document.body.append(dialog);
  return new Promise<ConflictChoice>((resolve) => {
    const finish = (choice: ConflictChoice) => {
      dialog.close();
      dialog.remove();
      resolve(choice);
    };
    retry.addEventListener('click', () => finish('retry'));
    cancel.addEventListener('click', () => finish('cancel'));
    // Escape means Cancel; nothing is ever saved from the dialog.
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      finish('cancel');
    });
    dialog.showModal();
    (deleted ? cancel : retry).focus();
  });
}
