// The list of one entity type: a table of the items the user may read, a page at a time.
import type { EntityDescription } from '../api/entity-description';
import type { EntityType } from '../api/entities.generated';
import { displayName, formatValue, NAME_FIELDS } from '../format';
import { formFields } from '../form-model';
import type { Session } from '../session';
import { h, replace } from './dom';
import { referenceNames } from './references';

export async function renderList(main: HTMLElement, session: Session, d: EntityDescription, params: URLSearchParams): Promise<void> {
  const filters: Record<string, string> = {};
  for (const f of d.listFilters) {
    const v = params.get(f);
    if (v) filters[f] = v;
  }
  // The first column names the item (and links to it); the next few show other fields.
  const nameField = d.fields.find((f) => f.name === NAME_FIELDS.find((n) => d.fields.some((x) => x.name === n)));
  const columns = formFields(d).filter((f) => f !== nameField && !f.writeOnly && f.kind !== 'longtext').slice(0, 5);
  const refs = await referenceNames(session, columns.filter((c) => c.kind === 'reference').map((c) => c.references!));
  const body = h('tbody');
  const status = h('p', { role: 'status', className: 'list-status' });
  const more = h('button', { type: 'button', className: 'secondary', hidden: true }, 'Show more');
  let cursor: string | null = null;
  let count = 0;

  const load = async () => {
    more.disabled = true;
    const page = await session.client.list(d.type as EntityType, { limit: 50, cursor, filters });
    for (const item of page.items) {
      const e = item as unknown as Record<string, unknown>;
      const href = `#/e/${d.collection}/${e.id}`;
      body.append(
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, h('a', { href }, displayName(e))),
          columns.map((c) => h('td', {}, c.kind === 'reference' ? refs.labelOf(c.references!, e[c.name]) : formatValue(e[c.name], c))),
          h('td', { className: 'num' }, String(e.version)),
        ),
      );
    }
    count += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
    status.textContent = count === 0 ? `No ${d.label.toLowerCase()}s yet.` : `${count} shown${cursor ? '; more available' : ''}.`;
  };
  more.addEventListener('click', () => void load());

  const filterNote = Object.keys(filters).length
    ? h('p', {}, 'Filtered by ', Object.entries(filters).map(([k, v]) => `${k} = ${v}`).join(', '), '. ', h('a', { href: `#/e/${d.collection}` }, 'Show all'))
    : null;
  replace(
    main,
    h('div', { className: 'page-head' },
      h('h1', {}, `${d.label}s`),
      h('a', { href: `#/e/${d.collection}/new`, className: 'button' }, `New ${d.label.toLowerCase()}`)),
    filterNote,
    h('div', { className: 'table-scroll' },
      h('table', { className: 'data-table' },
        h('caption', { className: 'visually-hidden' }, `${d.label}s`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, nameField?.label ?? 'Item'), columns.map((c) => h('th', { scope: 'col' }, c.label)), h('th', { scope: 'col', className: 'num' }, 'Version'))),
        body)),
    status,
    more,
  );
  await load();
}
