import { describe, expect, it } from 'vitest';
import { cellFor, cellProblem, freeAfterTyping, isDirty, savedPercent, markFailed, markUpdated, planSave, rebase } from '../src/calendar-model';
import type { ResourceAssignment } from '../src/api/entities.generated';

const ra = (id: string, capital: number, expense: number, version = 1): ResourceAssignment => ({
  id, version, created_at: 't', updated_at: 't', resource_id: 'r1', project_id: 'p1',
  assignment_date: '2026-03-02', capital_percentage: capital, expense_percentage: expense,
});

describe('the calendar model', () => {
  it('sends changed existing cells as bulk items and filled empty cells as creates', () => {
    const existing = cellFor('r1', '2026-03-02', ra('a', 10, 20));
    const untouched = cellFor('r1', '2026-03-03', ra('b', 10, 20));
    const empty = cellFor('r2', '2026-03-02', null);
    const fresh = cellFor('r2', '2026-03-03', null);
    existing.capital = '30';
    fresh.capital = '50';
    expect([existing, untouched, empty, fresh].map(isDirty)).toEqual([true, false, false, true]);
    const plan = planSave([existing, untouched, empty, fresh], 'p1');
    expect(plan.updates).toEqual([{ id: 'a', capital_percentage: 30 }]);
    expect(plan.creates).toEqual([
      { key: 'r2|2026-03-03', fields: { resource_id: 'r2', project_id: 'p1', assignment_date: '2026-03-03', capital_percentage: 50, expense_percentage: 0 } },
    ]);
  });

  it('holds back cells with values the server would refuse', () => {
    const c = cellFor('r1', '2026-03-02', ra('a', 10, 20));
    c.capital = '70';
    c.expense = '40';
    expect(cellProblem(c)).toMatch(/exceed 100/);
    c.expense = 'x';
    expect(cellProblem(c)).toMatch(/whole numbers/);
    expect(planSave([c], 'p1').updates).toEqual([]);
  });

  it('after a partial failure only the failures are sent again, with the refreshed version', () => {
    const ok = cellFor('r1', '2026-03-02', ra('a', 10, 0, 1));
    const bad = cellFor('r1', '2026-03-03', ra('b', 10, 0, 1));
    ok.capital = '20';
    bad.capital = '30';
    markUpdated(ok, 2);
    markFailed(bad, { id: 'b', error: 'conflict', message: 'changed', current_state: ra('b', 60, 0, 2) });
    expect(isDirty(ok)).toBe(false);
    expect(isDirty(bad)).toBe(true);
    expect(bad.failure?.current?.capital_percentage).toBe(60);
    expect(rebase(bad, ra('b', 60, 0, 2))).toBe(true);
    expect(bad.capital).toBe('30');
    expect(planSave([ok, bad], 'p1').updates).toEqual([{ id: 'b', capital_percentage: 30 }]);
  });

  it('computes the free capacity hint from the utilisation view and what is typed', () => {
    const c = cellFor('r1', '2026-03-02', ra('a', 20, 10)); // the view counts these 30 as allocated
    expect(freeAfterTyping(c, 40)).toBe(40);
    c.capital = '50';
    expect(freeAfterTyping(c, 40)).toBe(10);
    c.expense = '30';
    expect(freeAfterTyping(c, 40)).toBe(-10);
    const fresh = cellFor('r1', '2026-03-03', null);
    fresh.capital = '25';
    expect(freeAfterTyping(fresh, 100)).toBe(75);
  });

  it('keeps the hint right after a save, before the view is read again', () => {
    // The view said 50 % free while this cell held 20 + 10; then 40 + 20 was saved.
    const c = cellFor('r1', '2026-03-02', ra('a', 20, 10));
    const measuredWith = savedPercent(c);
    c.capital = '40';
    c.expense = '20';
    markUpdated(c, 2);
    expect(savedPercent(c)).toBe(60);
    expect(freeAfterTyping(c, 50, measuredWith)).toBe(20);
    // Once the view has caught up (20 % free, counting the 60), the default agrees.
    expect(freeAfterTyping(c, 20)).toBe(20);
  });
});
