// Showing values to people: dates, timestamps, field values and entity names.
import type { FieldDescription } from './api/entity-description';

/** "2026-11-28 08:15 UTC" from an RFC 3339 timestamp. */
export function formatTimestamp(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):(\d{2})/.exec(ts);
  return m ? `${m[1]} ${m[2]}:${m[3]} UTC` : ts;
}

/** A field value as text; null and absent as an em dash, write-only values hidden. */
export function formatValue(value: unknown, field?: FieldDescription): string {
  if (field?.writeOnly) return value === undefined ? '—' : '••••••••';
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (field?.kind === 'datetime' && typeof value === 'string') return formatTimestamp(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A short human name for an entity: its name, username, type, external id or date. */
/** The fields that name an entity, in order of preference (see displayName). */
export const NAME_FIELDS = ['name', 'username', 'type', 'external_id', 'role_type', 'scope_type', 'assignment_date', 'actual_date', 'start_date'];

export function displayName(entity: Record<string, unknown> | null | undefined): string {
  if (!entity) return '—';
  for (const key of NAME_FIELDS) {
    const v = entity[key];
    if (typeof v === 'string' && v) return v;
  }
  return String(entity.id ?? '').slice(0, 8);
}

/** YYYY-MM-DD of a Date in UTC. */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The date `days` after an ISO date. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return isoDate(d);
}

/** Every date from `from` to `to`, inclusive. */
export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export function weekday(date: string): string {
  return WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()];
}

/** A random UUID (v4), also where crypto.randomUUID is missing (plain-http origins). */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
