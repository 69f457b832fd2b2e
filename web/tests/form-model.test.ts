import { describe, expect, it } from 'vitest';
import { describe as entity } from '../src/api/client';
import { changesOf, conflictRows, othersChanges, reapply, valuesOf } from '../src/form-model';

const project = {
  id: 'p1', version: 2, created_at: 't', updated_at: 't', program_id: 'g1', name: 'Apollo',
  business_sponsor: 'Ann', project_manager: 'Bo', technical_lead: 'Cy', start_date: '2026-01-01',
  end_date: '2026-12-31', cost_center_code: 'CC-1', description: null,
};

describe('the generic form model', () => {
  const d = entity('project');

  it('sends only the fields the user changed, with API types', () => {
    const values = valuesOf(d, project);
    expect(changesOf(d, project, values)).toEqual({});
    values.name = 'Apollo 2';
    values.description = '';
    expect(changesOf(d, project, values)).toEqual({ name: 'Apollo 2' });
    values.description = 'moon';
    expect(changesOf(d, project, values)).toEqual({ name: 'Apollo 2', description: 'moon' });
  });

  it('turns integers into numbers and booleans into booleans', () => {
    const a = entity('resource_assignment');
    const ra = { id: 'a', version: 1, resource_id: 'r', project_id: 'p', assignment_date: '2026-01-02', capital_percentage: 10, expense_percentage: 0 };
    const values = valuesOf(a, ra);
    values.capital_percentage = '40';
    expect(changesOf(a, ra, values)).toEqual({ capital_percentage: 40 });
    const u = entity('user');
    const user = { id: 'u', version: 1, username: 'bob', email: 'b@x.org', is_active: true };
    const uv = valuesOf(u, user);
    expect(uv.password).toBe('');
    uv.is_active = false;
    expect(changesOf(u, user, uv)).toEqual({ is_active: false });
  });

  it('re-applies attempted changes onto the current state for Refresh & Retry', () => {
    const current = { ...project, version: 3, name: 'Gemini', technical_lead: 'Dee' };
    const values = reapply(d, current, { name: 'Apollo 2' });
    expect(values.name).toBe('Apollo 2');
    expect(values.technical_lead).toBe('Dee');
    expect(changesOf(d, current, values)).toEqual({ name: 'Apollo 2' });
  });

  it('lists each attempted field with both values and marks differences', () => {
    const rows = conflictRows(d, { name: 'Mine', technical_lead: 'Cy' }, { ...project, name: 'Theirs' });
    expect(rows.map((r) => [r.field.name, r.yours, r.current, r.differs])).toEqual([
      ['name', 'Mine', 'Theirs', true],
      ['technical_lead', 'Cy', 'Cy', false],
    ]);
    expect(conflictRows(d, { name: 'Mine' }, null)[0].current).toBeUndefined();
  });

  it('names the fields others changed under a merged save, not the ones the save sent', () => {
    const sent = { name: 'Apollo 2' };
    const merged = { ...project, version: 5, name: 'Apollo 2', technical_lead: 'Dana', end_date: '2027-01-31', updated_at: 'later' };
    expect(othersChanges(d, project, merged, sent).map((f) => f.label)).toEqual(['Technical lead', 'End date']);
    expect(othersChanges(d, project, { ...project, name: 'Apollo 2' }, sent)).toEqual([]);
  });
});
