// The generic form's model, without the DOM: which fields an entity type shows, the
// text each input holds, and the changes (API values) between an entity and the inputs.
import type { EntityDescription, FieldDescription } from './api/entity-description';

/** What an input holds: text for most kinds, a boolean for checkboxes. */
export type InputValue = string | boolean;
export type FormValues = Record<string, InputValue>;

/** The fields a form shows: everything but id/version/timestamps; on update no fixed fields are editable. */
export function formFields(d: EntityDescription): FieldDescription[] {
  return d.fields.filter((f) => f.kind !== 'datetime' && f.kind !== 'id');
}

/** The fields a user may type into, for a new entity (`creating`) or an existing one. */
export function editableFields(d: EntityDescription, creating: boolean): FieldDescription[] {
  return formFields(d).filter((f) => !f.readOnly && (creating || !f.fixed));
}

/** The input value showing an API value. */
export function toInput(field: FieldDescription, value: unknown): InputValue {
  if (field.kind === 'boolean') return value === null || value === undefined ? true : Boolean(value);
  if (value === null || value === undefined) return '';
  return String(value);
}

/** The input values showing an entity (a new entity: empty inputs, checkboxes on). */
export function valuesOf(d: EntityDescription, entity: Record<string, unknown> | null): FormValues {
  const values: FormValues = {};
  for (const f of formFields(d)) {
    values[f.name] = f.writeOnly ? '' : toInput(f, entity ? entity[f.name] : undefined);
  }
  return values;
}

/** An input value as the API wants it; undefined for "leave it out". */
export function toApi(field: FieldDescription, input: InputValue): unknown {
  if (field.kind === 'boolean') return Boolean(input);
  const text = String(input).trim();
  if (text === '') {
    if (field.writeOnly) return undefined;
    return field.nullable ? null : field.kind === 'integer' ? undefined : '';
  }
  if (field.kind === 'integer') return /^-?\d+$/.test(text) ? Number(text) : text; // the server names a bad number
  return text;
}

/**
 * The fields whose input differs from the entity, with API values: the body of an update
 * (for a new entity, every field that was filled in).
 */
export function changesOf(d: EntityDescription, entity: Record<string, unknown> | null, values: FormValues): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const f of editableFields(d, entity === null)) {
    if (!(f.name in values)) continue;
    const next = toApi(f, values[f.name]);
    if (next === undefined) continue;
    if (entity === null) {
      if (next === null || next === '') continue;
      changes[f.name] = next;
      continue;
    }
    const before = entity[f.name] ?? null;
    if (f.writeOnly || !sameValue(before, next)) changes[f.name] = next;
  }
  return changes;
}

export function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v === undefined || v === '' ? null : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * The fields someone else changed, for a save merged over their versions: those whose value
 * differs between the entity the form was loaded with and the one the merged save answered,
 * leaving out the fields the save sent and the ones nobody edits (computed, write-only).
 */
export function othersChanges(d: EntityDescription, before: Record<string, unknown>, after: Record<string, unknown>, sent: Record<string, unknown>): FieldDescription[] {
  return formFields(d).filter(
    (f) => !f.readOnly && !f.writeOnly && !(f.name in sent) && !sameValue(before[f.name] ?? null, after[f.name] ?? null),
  );
}

/** The inputs for `entity` with the user's attempted `changes` applied on top (Refresh & Retry). */
export function reapply(d: EntityDescription, entity: Record<string, unknown>, changes: Record<string, unknown>): FormValues {
  const values = valuesOf(d, entity);
  for (const f of formFields(d)) {
    if (f.name in changes) values[f.name] = toInput(f, changes[f.name]);
  }
  return values;
}

/** One row of the conflict dialog's table. */
export interface ConflictRow {
  field: FieldDescription;
  yours: unknown;
  current: unknown;
  differs: boolean;
}

/** Each field the user tried to change, with their value and the current one. */
export function conflictRows(d: EntityDescription, attempted: Record<string, unknown>, current: Record<string, unknown> | null): ConflictRow[] {
  const rows: ConflictRow[] = [];
  for (const [name, yours] of Object.entries(attempted)) {
    const field = d.fields.find((f) => f.name === name) ?? { name, label: name, kind: 'text' as const, requiredOnCreate: false, nullable: true };
    const now = current ? current[name] : undefined;
    rows.push({ field, yours, current: now, differs: field.writeOnly ? true : !sameValue(yours, now) });
  }
  return rows;
}
