// The resource assignment calendar without the DOM: one cell per resource and day holding
// the assignment as last received and what the user typed, which cells one save sends
// (bulk update for existing assignments, creates for new ones), and how a partial failure
// leaves them; and the free capacity per cell the utilisation view reports.
import { UTILISATION_IDS_PER_REQUEST, type BulkAssignmentChange, type BulkFailure, type FolioClient } from './api/client';
import type { ResourceAssignment } from './api/entities.generated';

export interface CellFailure {
  error: string;
  message: string;
  /** The assignment as it is now on the server (null if unknown, deleted or never created). */
  current: ResourceAssignment | null;
}

export interface Cell {
  resourceId: string;
  date: string;
  /** The assignment as last received; null for an empty cell. */
  assignment: ResourceAssignment | null;
  /** What the inputs hold (text, so that half-typed values survive re-rendering). */
  capital: string;
  expense: string;
  /** Set by the last save that failed for this cell; cleared by a successful save. */
  failure: CellFailure | null;
  /** Set when the last save stored this cell. */
  saved: boolean;
}

export const cellKey = (resourceId: string, date: string) => `${resourceId}|${date}`;

export function cellFor(resourceId: string, date: string, assignment: ResourceAssignment | null): Cell {
  return {
    resourceId,
    date,
    assignment,
    capital: assignment ? String(assignment.capital_percentage) : '',
    expense: assignment ? String(assignment.expense_percentage) : '',
    failure: null,
    saved: false,
  };
}

/** A percentage input as a number: blank is 0; anything that is not a whole number is NaN. */
export function percent(text: string): number {
  const t = text.trim();
  if (t === '') return 0;
  return /^\d+$/.test(t) ? Number(t) : NaN;
}

/** True when the inputs differ from the assignment as last received (or, for an empty cell, hold anything). */
export function isDirty(cell: Cell): boolean {
  if (!cell.assignment) return cell.capital.trim() !== '' || cell.expense.trim() !== '';
  return percent(cell.capital) !== cell.assignment.capital_percentage || percent(cell.expense) !== cell.assignment.expense_percentage;
}

/** A problem the user can fix before saving, or null. */
export function cellProblem(cell: Cell): string | null {
  const c = percent(cell.capital);
  const e = percent(cell.expense);
  if (Number.isNaN(c) || Number.isNaN(e) || c > 100 || e > 100) return 'percentages are whole numbers from 0 to 100';
  if (c + e > 100) return 'capital + expense may not exceed 100 %';
  return null;
}

export interface SavePlan {
  updates: BulkAssignmentChange[];
  creates: { key: string; fields: { resource_id: string; project_id: string; assignment_date: string; capital_percentage: number; expense_percentage: number } }[];
}

/** What one save sends: every dirty cell, existing ones as bulk items (changed fields only), new ones as creates. */
export function planSave(cells: Iterable<Cell>, projectId: string): SavePlan {
  const plan: SavePlan = { updates: [], creates: [] };
  for (const cell of cells) {
    if (!isDirty(cell) || cellProblem(cell)) continue;
    const capital = percent(cell.capital);
    const expense = percent(cell.expense);
    if (cell.assignment) {
      const item: BulkAssignmentChange = { id: cell.assignment.id };
      if (capital !== cell.assignment.capital_percentage) item.capital_percentage = capital;
      if (expense !== cell.assignment.expense_percentage) item.expense_percentage = expense;
      plan.updates.push(item);
    } else {
      plan.creates.push({
        key: cellKey(cell.resourceId, cell.date),
        fields: { resource_id: cell.resourceId, project_id: projectId, assignment_date: cell.date, capital_percentage: capital, expense_percentage: expense },
      });
    }
  }
  return plan;
}

/** Applies a successful bulk item: the assignment now holds the typed values at `version`. */
export function markUpdated(cell: Cell, version: number): void {
  if (!cell.assignment) return;
  cell.assignment = { ...cell.assignment, capital_percentage: percent(cell.capital), expense_percentage: percent(cell.expense), version };
  cell.failure = null;
  cell.saved = true;
}

export function markCreated(cell: Cell, assignment: ResourceAssignment): void {
  cell.assignment = assignment;
  cell.capital = String(assignment.capital_percentage);
  cell.expense = String(assignment.expense_percentage);
  cell.failure = null;
  cell.saved = true;
}

/** A failed item keeps the user's values (still dirty, so the next save retries it) and records why. */
export function markFailed(cell: Cell, failure: BulkFailure | CellFailure): void {
  const current = 'current_state' in failure ? failure.current_state : failure.current;
  cell.failure = { error: failure.error, message: failure.message, current: current ?? null };
  cell.saved = false;
}

/**
 * After a refresh: the assignment as it is now becomes the base (its version is what the
 * next save sends) while the user's typed values stay, so the user reviews and saves again.
 * Returns false when the cell no longer differs (someone made the same change).
 */
export function rebase(cell: Cell, now: ResourceAssignment | null): boolean {
  cell.assignment = now;
  cell.failure = null;
  return isDirty(cell);
}

/** The percentage a cell's saved assignment takes (0 without one). */
export function savedPercent(cell: Cell): number {
  return cell.assignment ? cell.assignment.capital_percentage + cell.assignment.expense_percentage : 0;
}

/**
 * What is left of the resource on the cell's day across all projects once the typed
 * values are saved: the free percentage the utilisation view reported, plus what this
 * cell's assignment took when that was measured (the view counts it), minus what is typed.
 * `savedWhenMeasured` defaults to the cell's saved assignment now; after a save, until the
 * view is read again, pass what was saved when it was read. Negative: over capacity by that much.
 */
export function freeAfterTyping(cell: Cell, availableNow: number, savedWhenMeasured = savedPercent(cell)): number {
  const typed = percent(cell.capital) + percent(cell.expense);
  return Number.isNaN(typed) ? availableNow : availableNow + savedWhenMeasured - typed;
}

/** What the utilisation view reported for a resource-day, and what the cell's assignment took then. */
export interface Measured {
  free: number;
  savedHere: number;
}

/** `items` in consecutive runs of at most `size`. */
export function chunks<T>(items: T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}

/**
 * Free capacity per resource and day (by cellKey) from the utilisation view, with what the
 * cell's own assignment took when it was read: a save changes the cell at once but the view
 * only on the next read, and the hint must not count the change twice. One request per
 * UTILISATION_IDS_PER_REQUEST resources, sent together; the resources of a request that
 * fails (or of a server without the view), and resources that are gone, get no entry.
 */
export async function readAvailability(
  client: Pick<FolioClient, 'utilisations'>,
  resourceIds: string[],
  from: string,
  to: string,
  cells: Map<string, Cell>,
): Promise<Map<string, Measured>> {
  const answers = await Promise.all(
    chunks(resourceIds, UTILISATION_IDS_PER_REQUEST).map((ids) => client.utilisations(ids, from, to).catch(() => null)),
  );
  const available = new Map<string, Measured>();
  for (const resource of answers.flatMap((a) => a?.resources ?? [])) {
    for (const day of resource.days) {
      const key = cellKey(resource.resource_id, day.date);
      const cell = cells.get(key);
      available.set(key, { free: day.available_percentage, savedHere: cell ? savedPercent(cell) : 0 });
    }
  }
  return available;
}
