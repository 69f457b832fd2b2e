// The resource assignment calendar of a project: resources by days, capital % and
// expense % per cell, and a hint per resource-day of how much of the resource is still
// free across all projects. Many cells are edited, then one save sends the changed
// existing assignments through the bulk-update endpoint (each with its version) and the
// new ones as creates. Cells that fail stay highlighted and editable with the reason and
// the current values; the next save sends only them.
import type { Project, Resource, ResourceAssignment } from '../api/entities.generated';
import { ApiError, NetworkError } from '../api/errors';
import type { BulkFailure } from '../api/client';
import {
  cellFor,
  cellKey,
  cellProblem,
  freeAfterTyping,
  isDirty,
  markCreated,
  markFailed,
  markUpdated,
  percent,
  planSave,
  readAvailability,
  rebase,
  type Cell,
  type Measured,
} from '../calendar-model';
import { addDays, dateRange, displayName, newId, weekday } from '../format';
import type { Session } from '../session';
import { h, message, replace } from './dom';

const DAYS_SHOWN = 14;

export async function renderCalendarPicker(main: HTMLElement, session: Session): Promise<void> {
  const projects = await session.client.listAll('project');
  const select = h('select', { id: 'calendar-project' }, h('option', { value: '' }, 'Choose a project…'),
    projects.map((p) => h('option', { value: p.id }, `${p.name} (${p.start_date} – ${p.end_date})`)));
  replace(
    main,
    h('h1', {}, 'Assignment calendar'),
    projects.length === 0
      ? h('p', {}, 'There are no projects yet. ', h('a', { href: '#/e/projects/new' }, 'Create a project'), ' first.')
      : h('form', { className: 'inline-form', onsubmit: (ev: Event) => { ev.preventDefault(); if (select.value) location.hash = `#/calendar/${select.value}`; } },
          h('label', { for: 'calendar-project' }, 'Project'), select, h('button', { type: 'submit' }, 'Open calendar')),
  );
}

function clampDate(d: string, min: string, max: string): string {
  return d < min ? min : d > max ? max : d;
}

const REASONS: Record<string, string> = {
  conflict: 'changed by someone else after you loaded it',
  constraint: 'refused by a rule',
  validation: 'invalid',
  not_found: 'the assignment no longer exists',
  forbidden: 'you may not change it',
  network: 'no answer from the server',
};

export async function renderCalendar(main: HTMLElement, session: Session, projectId: string, params: URLSearchParams): Promise<void> {
  const client = session.client;
  const project: Project = await client.get('project', projectId);
  const requested = params.get('from');
  const from = clampDate(requested && /^\d{4}-\d{2}-\d{2}$/.test(requested) ? requested : project.start_date, project.start_date, project.end_date);
  const to = clampDate(addDays(from, DAYS_SHOWN - 1), from, project.end_date);
  const dates = dateRange(from, to);
  const [resources, assignments] = await Promise.all([
    client.listAll('resource'),
    client.listAll('resource_assignment', { project_id: projectId }),
  ]);
  resources.sort((a, b) => a.name.localeCompare(b.name));
  const resourceName = new Map(resources.map((r) => [r.id, r.name]));

  const cells = new Map<string, Cell>();
  const byKey = new Map(assignments.map((a) => [cellKey(a.resource_id, a.assignment_date), a]));
  for (const r of resources) for (const d of dates) cells.set(cellKey(r.id, d), cellFor(r.id, d, byKey.get(cellKey(r.id, d)) ?? null));

  // Free capacity per resource and day, from the utilisation view (none if it is missing):
  // the rows in one request (one per 200 rows beyond; readAvailability).
  let available = new Map<string, Measured>();
  const loadHints = async () => {
    available = await readAvailability(client, resources.map((r) => r.id), from, to, cells);
  };
  await loadHints();

  const saveButton = h('button', { type: 'button', id: 'calendar-save' }, 'Save changes');
  const discardButton = h('button', { type: 'button', className: 'secondary' }, 'Discard changes');
  const results = h('div', { id: 'calendar-results', className: 'calendar-results', 'aria-live': 'polite', tabindex: '-1' });
  const tbody = h('tbody');
  const cellElements = new Map<string, HTMLTableCellElement>();

  const dirtyCount = () => [...cells.values()].filter(isDirty).length;
  const updateToolbar = () => {
    const n = dirtyCount();
    saveButton.textContent = n ? `Save changes (${n})` : 'Save changes';
    saveButton.disabled = n === 0;
    discardButton.disabled = n === 0;
  };

  const hintFor = (cell: Cell) => {
    const measured = available.get(cellKey(cell.resourceId, cell.date));
    if (measured === undefined) return null;
    const left = freeAfterTyping(cell, measured.free, measured.savedHere);
    return left < 0
      ? h('span', { className: 'hint over', title: 'More than the resource has left across all projects' }, `over by ${-left}%`)
      : h('span', { className: 'hint', title: 'What is left of this resource on this day across all projects' }, `${left}% free`);
  };

  const paintCell = (cell: Cell) => {
    const td = cellElements.get(cellKey(cell.resourceId, cell.date))!;
    const problem = cellProblem(cell);
    td.className = ['cal-cell', cell.assignment ? 'has-assignment' : '', isDirty(cell) ? 'dirty' : '', cell.failure ? 'failed' : '', cell.saved && !isDirty(cell) ? 'saved' : '', problem ? 'invalid' : '']
      .filter(Boolean).join(' ');
    const hint = td.querySelector('.hint-slot')!;
    replace(hint, problem ? h('span', { className: 'hint over' }, problem) : hintFor(cell));
    for (const input of td.querySelectorAll('input')) input.setAttribute('aria-invalid', cell.failure || problem ? 'true' : 'false');
  };

  const buildCell = (cell: Cell, resource: Resource) => {
    const label = `${resource.name}, ${cell.date}`;
    const mk = (which: 'capital' | 'expense') =>
      h('input', {
        type: 'number', min: '0', max: '100', step: '1', inputMode: 'numeric',
        className: `pct pct-${which}`,
        value: which === 'capital' ? cell.capital : cell.expense,
        'aria-label': `${which === 'capital' ? 'Capital' : 'Expense'} % for ${label}`,
        oninput: (ev: Event) => {
          cell[which] = (ev.target as HTMLInputElement).value;
          cell.saved = false;
          paintCell(cell);
          updateToolbar();
        },
      });
    const td = h('td', { dataset: { resource: resource.id, date: cell.date } },
      h('div', { className: 'pct-pair' },
        h('label', {}, h('span', { className: 'pct-tag', 'aria-hidden': 'true' }, 'C'), mk('capital')),
        h('label', {}, h('span', { className: 'pct-tag', 'aria-hidden': 'true' }, 'E'), mk('expense'))),
      h('div', { className: 'hint-slot' }));
    cellElements.set(cellKey(cell.resourceId, cell.date), td);
    return td;
  };

  const renderTable = () => {
    cellElements.clear();
    replace(tbody, resources.map((r) =>
      h('tr', {}, h('th', { scope: 'row', className: 'resource-name' }, r.name, h('small', {}, r.resource_type === 'labor' ? 'labor' : 'non-labor')),
        dates.map((d) => buildCell(cells.get(cellKey(r.id, d))!, r)))));
    for (const cell of cells.values()) paintCell(cell);
    updateToolbar();
  };

  const describeCurrent = (a: ResourceAssignment | null) =>
    a ? `capital ${a.capital_percentage} %, expense ${a.expense_percentage} % (version ${a.version})` : 'no assignment';

  const failedCells = () => [...cells.values()].filter((c) => c.failure);

  const showResults = (saved: Cell[], failed: Cell[], held: Cell[]) => {
    const items = failed.map((c) =>
      h('li', { dataset: { resource: c.resourceId, date: c.date } },
        h('strong', {}, `${resourceName.get(c.resourceId)} · ${c.date}: `),
        c.failure!.error === 'conflict' ? `${REASONS.conflict}. ` : `${REASONS[c.failure!.error] ?? c.failure!.error}: ${c.failure!.message}. `,
        `Current values: ${describeCurrent(c.failure!.current)}. Your values: capital ${percent(c.capital)} %, expense ${percent(c.expense)} %.`));
    const refresh = h('button', { type: 'button', onclick: () => void refreshFailed() }, 'Refresh failed cells');
    replace(results,
      message(failed.length ? 'alert' : 'status',
        failed.length
          ? `Saved ${saved.length} of ${saved.length + failed.length} changed cells. ${failed.length} could not be saved and stay highlighted; refresh them, review your values and save again to retry only these.`
          : `Saved ${saved.length} changed cell${saved.length === 1 ? '' : 's'}.`),
      saved.length ? h('p', { className: 'saved-list' }, 'Saved: ', saved.map((c) => `${resourceName.get(c.resourceId)} ${c.date}`).join(', '), '.') : null,
      items.length ? h('ul', { className: 'failure-list' }, items) : null,
      held.length ? message('alert', `Not sent (fix them first): ${held.map((c) => `${resourceName.get(c.resourceId)} ${c.date}: ${cellProblem(c)}`).join('; ')}.`) : null,
      failed.length ? refresh : null);
  };

  const save = async () => {
    saveButton.disabled = true;
    const dirty = [...cells.values()].filter(isDirty);
    const held = dirty.filter((c) => cellProblem(c));
    const plan = planSave(cells.values(), projectId);
    const byId = new Map([...cells.values()].filter((c) => c.assignment).map((c) => [c.assignment!.id, c]));
    const saved: Cell[] = [];
    const failed: Cell[] = [];
    try {
      if (plan.updates.length) {
        const result = await client.bulkUpdateAssignments(plan.updates);
        for (const s of result.succeeded) {
          const cell = byId.get(s.id);
          if (cell) { markUpdated(cell, s.version); saved.push(cell); }
        }
        for (const f of result.failed as BulkFailure[]) {
          const cell = byId.get(f.id);
          if (cell) { markFailed(cell, f); failed.push(cell); }
        }
      }
    } catch (e) {
      // No answer even to the client's one repeat (same Idempotency-Key): the cells may have
      // been saved; a new save cannot overwrite them (stale versions are refused per item).
      // Any other error is an answer: the request was refused as a whole.
      replace(results, e instanceof NetworkError && e.attempts > 1
        ? message('alert', `No answer from the server: ${e.message} The changed cells may have been saved. Press Save again when the connection is back: a cell that was saved is then reported as changed, and refreshing it shows your values.`)
        : message('alert', `Nothing was saved: ${(e as Error).message.replace(/\.$/, '')}. Press Save again when ready.`));
      updateToolbar();
      return;
    }
    for (const c of plan.creates) {
      const cell = cells.get(c.key)!;
      try {
        markCreated(cell, await client.create('resource_assignment', { id: newId(), ...c.fields }));
        saved.push(cell);
      } catch (e) {
        // Not retried here (the client already repeated a lost one once, under its key): a
        // lost answer may still have created it (the refresh then finds it).
        const error = e instanceof ApiError ? e.code : 'network';
        markFailed(cell, { error, message: (e as Error).message, current: null });
        failed.push(cell);
      }
    }
    renderTable();
    showResults(saved, failed, held);
    results.focus();
    // The utilisation view is asynchronous: it may lag the write by a moment.
    setTimeout(() => void loadHints().then(() => { for (const cell of cells.values()) paintCell(cell); }), 400);
  };

  const refreshFailed = async () => {
    const failed = failedCells();
    const now = await client.listAll('resource_assignment', { project_id: projectId });
    const current = new Map(now.map((a) => [cellKey(a.resource_id, a.assignment_date), a]));
    const notes = failed.map((c) => {
      const a = current.get(cellKey(c.resourceId, c.date)) ?? null;
      const still = rebase(c, a);
      return h('li', {}, h('strong', {}, `${resourceName.get(c.resourceId)} · ${c.date}: `),
        `now ${describeCurrent(a)}. ${still ? `Your values (capital ${percent(c.capital)} %, expense ${percent(c.expense)} %) are kept; save to apply them.` : 'It already holds your values.'}`);
    });
    await loadHints();
    renderTable();
    replace(results, message('status', `Refreshed ${failed.length} cell${failed.length === 1 ? '' : 's'} to their current versions. Review your values and press Save to retry only these.`), h('ul', { className: 'refresh-list' }, notes));
    saveButton.focus();
  };

  saveButton.addEventListener('click', () => void save());
  discardButton.addEventListener('click', () => {
    for (const c of cells.values()) { c.capital = c.assignment ? String(c.assignment.capital_percentage) : ''; c.expense = c.assignment ? String(c.assignment.expense_percentage) : ''; c.failure = null; }
    renderTable();
    replace(results, message('status', 'Your unsaved changes were discarded.'));
  });

  const go = (date: string) => {
    if (dirtyCount() && !window.confirm('You have unsaved changes in this calendar. Leave them?')) return;
    location.hash = `#/calendar/${projectId}?from=${date}`;
  };
  const prev = from > project.start_date ? h('button', { type: 'button', className: 'secondary', onclick: () => go(clampDate(addDays(from, -DAYS_SHOWN), project.start_date, project.end_date)) }, '← Earlier') : null;
  const jump = h('input', { type: 'date', id: 'calendar-from', min: project.start_date, max: project.end_date, value: from });
  const jumpForm = h('form', { className: 'inline-form', onsubmit: (ev: Event) => { ev.preventDefault(); if (jump.value) go(clampDate(jump.value, project.start_date, project.end_date)); } },
    h('label', { for: 'calendar-from' }, 'From'), jump, h('button', { type: 'submit', className: 'secondary' }, 'Show'));
  const next = to < project.end_date ? h('button', { type: 'button', className: 'secondary', onclick: () => go(addDays(to, 1)) }, 'Later →') : null;

  replace(
    main,
    h('h1', {}, `Assignment calendar: ${project.name}`),
    h('p', { className: 'calendar-sub' }, `Project runs ${project.start_date} – ${project.end_date}. Showing ${from} – ${to}. `,
      h('a', { href: `#/e/projects/${project.id}` }, 'Project details')),
    h('p', { className: 'legend' }, h('strong', {}, 'C'), ' capital %, ', h('strong', {}, 'E'), ' expense % of the resource on that day. ',
      available.size ? 'The hint under each cell is how much of the resource is still free that day across all projects, counting what you typed.' : 'Free-capacity hints are not available from this server.'),
    h('div', { className: 'toolbar' }, prev, jumpForm, next, h('span', { className: 'spacer' }), discardButton, saveButton),
    results,
    resources.length === 0
      ? h('p', {}, 'There are no resources yet. ', h('a', { href: '#/e/resources/new' }, 'Create a resource'), ' first.')
      : h('div', { className: 'table-scroll calendar-scroll' },
          h('table', { className: 'calendar', 'aria-label': `Resource assignments of ${displayName(project as unknown as Record<string, unknown>)}` },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col', className: 'resource-name' }, 'Resource'),
              dates.map((d) => h('th', { scope: 'col', className: ['Sat', 'Sun'].includes(weekday(d)) ? 'weekend' : '' }, h('span', { className: 'wd' }, weekday(d)), h('span', { className: 'dt' }, d.slice(5)))))),
            tbody)),
  );
  renderTable();
}
