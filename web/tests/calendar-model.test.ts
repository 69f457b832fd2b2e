import { describe, expect, it } from 'vitest';
import { FolioClient, type Utilisations } from '../src/api/client';
import {
  cellFor,
  cellKey,
  cellProblem,
  chunks,
  freeAfterTyping,
  isDirty,
  savedPercent,
  markFailed,
  markUpdated,
  planSave,
  readAvailability,
  rebase,
  type Cell,
} from '../src/calendar-model';
import type { ResourceAssignment } from '../src/api/entities.generated';
import { dateRange } from '../src/format';
import { fakeFetch, json, problem, type Answer, type Recorded } from './fake-server';

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

describe('the free capacity hints', () => {
  const FROM = '2026-03-02';
  const TO = '2026-03-04';
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, '0')}`);
  const asked = (r: Recorded) => new URL(r.url, 'http://folio').searchParams.get('resource_id')!.split(',');

  // GET /api/v1/resources/utilisation as the server answers it: every id asked, in order,
  // except `gone` ones; resource rN has N % allocated on every day.
  const server = (gone: string[] = []): Answer => (request) => {
    const answer: Utilisations = {
      from: FROM,
      to: TO,
      resources: asked(request).filter((id) => !gone.includes(id)).map((id) => ({
        resource_id: id,
        days: dateRange(FROM, TO).map((date) => ({ date, allocated_percentage: Number(id.slice(1)) % 100, available_percentage: 100 - (Number(id.slice(1)) % 100) })),
      })),
    };
    return json(200, answer);
  };

  function calendar(n: number, answers: Answer[]) {
    const fake = fakeFetch(answers);
    const cells = new Map<string, Cell>();
    for (const id of ids(n)) for (const d of dateRange(FROM, TO)) cells.set(cellKey(id, d), cellFor(id, d, null));
    const read = () => readAvailability(new FolioClient({ fetch: fake.fetch, token: 'tok' }), ids(n), FROM, TO, cells);
    return { read, cells, requests: fake.requests };
  }

  it('reads every row of the calendar in one request', async () => {
    const { read, cells, requests } = calendar(3, [server()]);
    cells.set(cellKey('r001', '2026-03-03'), cellFor('r001', '2026-03-03', ra('a', 20, 10)));
    const available = await read();
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].url).toBe(`/api/v1/resources/utilisation?resource_id=r000,r001,r002&from=${FROM}&to=${TO}`);
    // One entry per resource-day of the answer, with what the cell's assignment took then.
    expect(available.size).toBe(9);
    expect(available.get(cellKey('r000', '2026-03-02'))).toEqual({ free: 100, savedHere: 0 });
    expect(available.get(cellKey('r001', '2026-03-03'))).toEqual({ free: 99, savedHere: 30 });
    expect(available.get(cellKey('r002', '2026-03-04'))).toEqual({ free: 98, savedHere: 0 });
  });

  it.each([
    [1, [1]],
    [200, [200]],
    [201, [200, 1]],
    [450, [200, 200, 50]],
  ])('asks for %i resources in requests of %j ids', async (n, sizes) => {
    const { read, requests } = calendar(n, sizes.map(() => server()));
    const available = await read();
    expect(requests).toHaveLength(Math.ceil(n / 200));
    expect(requests.map((r) => asked(r).length)).toEqual(sizes);
    expect(requests.flatMap(asked)).toEqual(ids(n));
    for (const r of requests) expect([...new URL(r.url, 'http://folio').searchParams.keys()]).toEqual(['resource_id', 'from', 'to']);
    expect(available.size).toBe(n * 3);
  });

  it('sends the requests of all the chunks together', async () => {
    const calls: string[][] = [];
    const answers: ((u: Utilisations) => void)[] = [];
    const client = {
      utilisations: (resourceIds: string[]) => {
        calls.push(resourceIds);
        return new Promise<Utilisations>((resolve) => answers.push(resolve));
      },
    };
    const reading = readAvailability(client, ids(401), FROM, TO, new Map());
    await Promise.resolve();
    expect(calls.map((c) => c.length)).toEqual([200, 200, 1]);
    for (const answer of answers) answer({ from: FROM, to: TO, resources: [] });
    expect((await reading).size).toBe(0);
  });

  it('leaves without a hint only the resources of a failed request, and those that are gone', async () => {
    const { read } = calendar(250, [server(['r005']), problem(503, 'unavailable')]);
    const available = await read();
    expect(available.has(cellKey('r000', FROM))).toBe(true);
    expect(available.has(cellKey('r005', FROM))).toBe(false);
    expect(available.has(cellKey('r199', TO))).toBe(true);
    expect(available.has(cellKey('r200', FROM))).toBe(false);
    expect(available.size).toBe(199 * 3);
  });

  it('asks nothing when the calendar has no resources', async () => {
    const { read, requests } = calendar(0, []);
    expect((await read()).size).toBe(0);
    expect(requests).toHaveLength(0);
  });

  it('splits a list into consecutive runs', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 200)).toEqual([]);
  });
});
