// The one generic edit form, driven by an entity description: every entity type gets its
// inputs from its fields (text, dates, numbers, money, yes/no, choices, references). A
// save sends only the changed fields with the version the form was loaded at; the server
// merges it over others' saves that touched none of those fields (the form then shows
// the merged entity and says so), and otherwise answers 409, which opens the conflict
// dialog: nothing is saved without the user's click.
import type { Written } from '../api/client';
import type { EntityDescription, FieldDescription } from '../api/entity-description';
import type { EntityType } from '../api/entities.generated';
import { ApiError, ConstraintError, NetworkError, NotFoundError, ValidationError, VersionConflictError } from '../api/errors';
import { displayName, formatTimestamp, formatValue } from '../format';
import { changesOf, formFields, othersChanges, reapply, sameValue, toApi, valuesOf, type FormValues } from '../form-model';
import type { Session } from '../session';
import { showConflictDialog } from './conflict-dialog';
import { h, message, replace } from './dom';
import { referenceNames } from './references';

type Entity = Record<string, unknown>;

export async function renderForm(main: HTMLElement, session: Session, d: EntityDescription, id: string | null, params: URLSearchParams): Promise<void> {
  const type = d.type as EntityType;
  let base: Entity | null = id ? ((await session.client.get(type, id)) as unknown as Entity) : null;
  const fields = formFields(d);
  const refs = await referenceNames(session, fields.filter((f) => f.kind === 'reference').map((f) => f.references!));
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();

  const readValues = (): FormValues => {
    const values: FormValues = {};
    for (const [name, input] of inputs) values[name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value;
    return values;
  };

  const render = (values: FormValues, note: HTMLElement | null = null, errors: { field: string; message: string }[] = []) => {
    inputs.clear();
    const creating = base === null;
    const title = creating ? `New ${d.label.toLowerCase()}` : `${d.label}: ${displayName(base)}`;
    const rows = fields.map((f) => fieldRow(f, values[f.name], creating, errors, base));
    const save = h('button', { type: 'submit' }, creating ? 'Create' : 'Save');
    const form = h(
      'form',
      { className: 'entity-form', 'aria-labelledby': 'form-title', novalidate: true, onsubmit: (ev: Event) => { ev.preventDefault(); void submit(); } },
      rows,
      h('div', { className: 'form-buttons' },
        save,
        creating ? null : h('button', { type: 'button', className: 'danger', onclick: () => void remove() }, 'Delete'),
        h('a', { href: `#/e/${d.collection}`, className: 'button secondary' }, 'Back to the list')),
    );
    const meta = base
      ? h('p', { className: 'entity-meta' },
          h('span', { id: 'entity-version', className: 'version-badge' }, `Version ${base.version}`),
          ` · last changed ${formatTimestamp(String(base.updated_at))}`)
      : null;
    const extras = base && d.type === 'project'
      ? h('p', {}, h('a', { href: `#/calendar/${base.id}` }, 'Open the resource assignment calendar of this project'))
      : null;
    replace(main, h('h1', { id: 'form-title' }, title), meta, extras, h('div', { id: 'form-messages' }, note), form, base ? historySection(session, d, String(base.id)) : null);
  };

  const fieldRow = (f: FieldDescription, value: unknown, creating: boolean, errors: { field: string; message: string }[], entity: Entity | null) => {
    const inputId = `field-${f.name}`;
    const error = errors.find((e) => e.field === f.name);
    const hintParts: string[] = [];
    if (f.fixed && !creating) hintParts.push('set when created; cannot be changed');
    if (f.readOnly) hintParts.push('computed by Folio');
    if (f.writeOnly) hintParts.push(creating ? `at least ${f.minLength ?? 8} characters` : 'leave empty to keep the current password');
    if (f.kind === 'money') hintParts.push('amount with two decimals, e.g. 1250.00');
    if (f.kind === 'integer' && f.minimum !== undefined && f.maximum !== undefined) hintParts.push(`${f.minimum} to ${f.maximum}`);
    const describedBy = [hintParts.length ? `${inputId}-hint` : '', error ? `${inputId}-error` : ''].filter(Boolean).join(' ') || undefined;
    const disabled = !!f.readOnly || (!!f.fixed && !creating);
    const required = creating ? f.requiredOnCreate : !f.nullable && !f.writeOnly && f.kind !== 'boolean';
    const common = { id: inputId, name: f.name, disabled, required, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': describedBy };
    let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    if (f.readOnly) {
      input = h('input', { ...common, value: formatValue(entity?.[f.name]) });
    } else if (f.kind === 'boolean') {
      input = h('input', { ...common, type: 'checkbox', checked: Boolean(value) });
    } else if (f.kind === 'enum' || (f.kind === 'reference' && refs.choices(f.references!))) {
      const options = f.kind === 'enum' ? f.options!.map((o) => ({ id: o, label: o })) : refs.choices(f.references!)!;
      input = h('select', common,
        h('option', { value: '' }, f.nullable ? '(none)' : 'Choose…'),
        options.map((o) => h('option', { value: o.id, selected: o.id === value }, o.label)));
      (input as HTMLSelectElement).value = String(value ?? '');
    } else if (f.kind === 'longtext') {
      input = h('textarea', { ...common, rows: 3, maxLength: f.maxLength }, String(value ?? ''));
    } else {
      const inputType = { date: 'date', integer: 'number', email: 'email', password: 'password' }[f.kind as string] ?? 'text';
      input = h('input', {
        ...common,
        type: inputType,
        value: String(value ?? ''),
        maxLength: f.maxLength,
        min: f.minimum,
        max: f.maximum,
        inputMode: f.kind === 'money' ? 'decimal' : undefined,
        autocomplete: f.kind === 'password' ? 'new-password' : undefined,
      });
    }
    if (!f.readOnly) inputs.set(f.name, input);
    const changed = !creating && entity && !f.readOnly && !f.writeOnly && !sameValue(entity[f.name] ?? null, toApi(f, value as string | boolean));
    return h('div', { className: `field field-${f.kind}${changed ? ' changed' : ''}${error ? ' has-error' : ''}` },
      h('div', { className: 'label-row' }, h('label', { for: inputId }, f.label), required ? h('span', { className: 'required', 'aria-hidden': 'true' }, '*') : null),
      input,
      hintParts.length ? h('small', { id: `${inputId}-hint`, className: 'hint' }, hintParts.join('; ')) : null,
      changed ? h('small', { className: 'changed-note' }, `your change; current: ${formatValue(entity![f.name], f)}`) : null,
      error ? h('small', { id: `${inputId}-error`, className: 'field-error' }, humanize(d, error.message)) : null);
  };

  const setNote = (el: HTMLElement) => replace(document.getElementById('form-messages')!, el);

  let saving = false;
  const submit = async () => {
    if (saving) return; // one save at a time: a double click must not send the same version twice
    saving = true;
    try {
      await save();
    } finally {
      saving = false;
    }
  };

  const save = async () => {
    const values = readValues();
    const changes = changesOf(d, base, values);
    if (base && Object.keys(changes).length === 0) {
      setNote(message('status', 'Nothing to save: no field differs from the stored values.'));
      return;
    }
    try {
      if (base === null) {
        const created = (await session.client.create(type, changes)) as unknown as Entity;
        location.hash = `#/e/${d.collection}/${created.id}?created=1`;
        return;
      }
      const before = base;
      const written = (await session.client.updateWithInfo(type, String(base.id), changes)) as unknown as Written<Entity>;
      // The answer is the entity as stored: after a merge it holds others' changes too.
      base = written.value;
      render(valuesOf(d, base), savedNote(d, written, before, changes));
    } catch (e) {
      await handleError(e, values, changes);
    }
  };

  const handleError = async (e: unknown, values: FormValues, changes: Record<string, unknown>) => {
    if (e instanceof VersionConflictError || e instanceof ConstraintError) {
      const conflict = e instanceof VersionConflictError;
      const choice = await showConflictDialog(
        {
          kind: conflict ? 'conflict' : 'constraint',
          description: d,
          attempted: changes,
          current: conflict ? e.currentState : base,
          currentVersion: conflict ? e.currentVersion : base ? Number(base.version) : null,
          changesSince: conflict ? e.changesSince : [],
          detail: e.message,
        },
        session,
      );
      if (base === null) {
        // A new entity: nothing to reload; keep the inputs unless the user discards them.
        render(choice === 'retry' ? values : valuesOf(d, null));
        return;
      }
      let fresh: Entity;
      try {
        fresh = (await session.client.get(type, String(base.id))) as unknown as Entity;
      } catch (err) {
        if (err instanceof NotFoundError) {
          replace(main, message('alert', `This ${d.label.toLowerCase()} was deleted.`), h('a', { href: `#/e/${d.collection}` }, 'Back to the list'));
          return;
        }
        throw err;
      }
      base = fresh;
      if (choice === 'retry') {
        render(reapply(d, fresh, changes), message('status', `Your changes are re-applied onto version ${fresh.version}. Review them and press Save to store them.`));
        (document.querySelector('.field.changed input, .field.changed select, .field.changed textarea') as HTMLElement | null)?.focus();
      } else {
        render(valuesOf(d, fresh), message('status', `Your changes were discarded. The form shows the current version ${fresh.version}.`));
      }
      return;
    }
    if (e instanceof ValidationError) {
      render(values, message('alert', `Not saved: ${e.fieldErrors.map((x) => `${fieldLabel(d, x.field)} ${humanize(d, x.message)}`).join('; ') || e.message}`), e.fieldErrors);
      return;
    }
    if (e instanceof ApiError) {
      setNote(message('alert', `Not saved: ${e.message}`));
      return;
    }
    if (e instanceof NetworkError && e.attempts > 1) {
      // Sent twice under one Idempotency-Key and no answer either time: it may have been
      // stored. A new save of an existing entity cannot overwrite anything (if the first was
      // stored, it is a 409 showing that save as yours); a new create could double it.
      const next = base === null
        ? 'Look in the list before creating it again: it may already be there.'
        : 'Check the connection and press Save again: if they were stored, the conflict dialog shows your earlier save.';
      setNote(message('alert', `No answer from the server: ${e.message} Your changes may have been stored before the connection failed. ${next}`));
      return;
    }
    setNote(message('alert', `Not saved: ${(e as Error).message.replace(/\.$/, '')}. Check the connection and press Save again.`));
  };

  const remove = async () => {
    if (!base || !window.confirm(`Delete this ${d.label.toLowerCase()}? Its history stays readable.`)) return;
    try {
      await session.client.remove(type, String(base.id));
      location.hash = `#/e/${d.collection}`;
    } catch (e) {
      await handleError(e, readValues(), {});
    }
  };

  render(valuesOf(d, base), params.get('created') && base ? message('status', `Created at version ${base.version}.`) : null);
}

/** The note after a successful update: merged over others' versions, confirmed after a retry, or plain. */
function savedNote(d: EntityDescription, written: Written<Entity>, before: Entity, sent: Record<string, unknown>): HTMLElement {
  const now = `This ${d.label.toLowerCase()} is now at version ${written.value.version}.`;
  if (written.mergedOver.length) {
    const theirs = othersChanges(d, before, written.value, sent);
    const which = theirs.length ? `: ${theirs.map((f) => f.label).join(', ')}` : '';
    const versions = `version${written.mergedOver.length === 1 ? '' : 's'} ${written.mergedOver.join(', ')}`;
    return message('status', `Saved. Merged with changes by others (${versions}) to fields you did not edit${which}. ${now} The form shows their changes too.`, 'message-merged');
  }
  // A repeat after a lost connection: the server confirmed the first attempt (or ran it once).
  if (written.retried) return message('status', `Saved (confirmed after a retry). ${now}`);
  return message('status', `Saved. ${now}`);
}

function fieldLabel(d: EntityDescription, name: string): string {
  return d.fields.find((f) => f.name === name)?.label ?? name;
}

/** A server message with field names ("end_date") written as their labels ("end date"). */
function humanize(d: EntityDescription, text: string): string {
  return text.replace(/\b[a-z]+(_[a-z]+)+\b/g, (n) => fieldLabel(d, n).toLowerCase());
}

function historySection(session: Session, d: EntityDescription, id: string): HTMLElement {
  const list = h('ol', { className: 'history' });
  const details = h('details', { className: 'history-box' }, h('summary', {}, 'History (every version)'), list);
  details.addEventListener('toggle', async () => {
    if (!details.open || list.childElementCount) return;
    const entries = await session.client.history(d.type as EntityType, id);
    const names = await Promise.all(entries.map((e) => session.userName(e.user_id).catch(() => e.user_id)));
    replace(list, entries.map((e, i) =>
      h('li', {},
        `Version ${e.version} · ${formatTimestamp(e.recorded_at)} · ${names[i]} · ${e.event_type ?? ''}`,
        h('ul', {}, Object.entries(e.changes ?? {}).map(([f, c]) => {
          const field = d.fields.find((x) => x.name === f);
          return h('li', {}, `${field?.label ?? f}: ${formatValue(c.from, field)} → ${formatValue(c.to, field)}`);
        })))));
  });
  return details;
}
