import { describe, expect, it } from 'vitest';
import { FolioClient, UnknownVersionError, UTILISATION_IDS_PER_REQUEST } from '../src/api/client';
import {
  ApiError,
  BadRequestError,
  ConstraintError,
  ForbiddenError,
  InternalServerError,
  MethodNotAllowedError,
  NetworkError,
  NotFoundError,
  PayloadTooLargeError,
  PROBLEM_CODES,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  VersionConflictError,
} from '../src/api/errors';
import { fakeFetch, json, keyedWrite, merged, problem, type Answer } from './fake-server';

const ID = '01938a1e-0000-7000-8000-000000000001';
const project = (version: number, name = 'Apollo') => ({
  id: ID,
  version,
  created_at: '2026-11-28T08:00:00.000Z',
  updated_at: '2026-11-28T08:00:00.000Z',
  name,
});

function client(responses: Answer[]) {
  const fake = fakeFetch(responses);
  return { api: new FolioClient({ fetch: fake.fetch, token: 'tok', retryDelayMs: 0 }), requests: fake.requests };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('versions', () => {
  it('sends the version last received with every update, in the body and as If-Match', async () => {
    const { api, requests } = client([json(200, project(3)), json(200, project(4, 'B')), json(200, project(5, 'C'))]);
    await api.get('project', ID);
    await api.update('project', ID, { name: 'B' });
    await api.update('project', ID, { name: 'C' });
    expect(requests[1].method).toBe('PATCH');
    expect(requests[1].url).toBe(`/api/v1/projects/${ID}`);
    expect(requests[1].body).toEqual({ name: 'B', version: 3 });
    expect(requests[1].headers['If-Match']).toBe('"3"');
    expect(requests[1].headers.Authorization).toBe('Bearer tok');
    // The second update carries the version the first one's response gave.
    expect(requests[2].body).toEqual({ name: 'C', version: 4 });
    expect(requests[2].headers['If-Match']).toBe('"4"');
    expect(api.versionOf('project', ID)).toBe(5);
  });

  it('stores the version of created and listed entities', async () => {
    const other = { ...project(7), id: '01938a1e-0000-7000-8000-000000000002' };
    const { api, requests } = client([json(201, project(1)), json(200, { items: [other], next_cursor: null })]);
    await api.create('project', { name: 'Apollo' });
    await api.list('project', { filters: { program_id: ID } });
    expect(api.versionOf('project', ID)).toBe(1);
    expect(api.versionOf('project', other.id)).toBe(7);
    expect(requests[1].url).toBe(`/api/v1/projects?program_id=${ID}`);
  });

  it('refuses to update an entity it never received instead of guessing a version', async () => {
    const { api, requests } = client([]);
    await expect(api.update('project', ID, { name: 'B' })).rejects.toBeInstanceOf(UnknownVersionError);
    expect(requests).toHaveLength(0);
  });

  it('keeps the old version after a 409, so nothing can be overwritten by a second click', async () => {
    const { api } = client([json(200, project(3)), problem(409, 'conflict', { current_version: 4, current_state: project(4) })]);
    await api.get('project', ID);
    await expect(api.update('project', ID, { name: 'B' })).rejects.toBeInstanceOf(VersionConflictError);
    expect(api.versionOf('project', ID)).toBe(3);
  });

  it('deletes with If-Match and sends bulk items with their own versions', async () => {
    const a = { ...project(2), id: 'a' };
    const b = { ...project(5), id: 'b' };
    const { api, requests } = client([
      json(200, { items: [a, b], next_cursor: null }),
      json(200, { succeeded: [{ id: 'a', version: 3 }], failed: [{ id: 'b', error: 'conflict', message: 'm', current_state: { ...b, version: 6 } }] }),
      new Response(null, { status: 204 }),
    ]);
    await api.list('resource_assignment');
    const result = await api.bulkUpdateAssignments([
      { id: 'a', capital_percentage: 10 },
      { id: 'b', expense_percentage: 20 },
    ]);
    expect(requests[1].body).toEqual([
      { id: 'a', capital_percentage: 10, version: 2 },
      { id: 'b', expense_percentage: 20, version: 5 },
    ]);
    expect(result.failed[0].error).toBe('conflict');
    expect(api.versionOf('resource_assignment', 'a')).toBe(3);
    expect(api.versionOf('resource_assignment', 'b')).toBe(5); // a failure keeps the old version
    await api.remove('resource_assignment', 'a');
    expect(requests[2].method).toBe('DELETE');
    expect(requests[2].headers['If-Match']).toBe('"3"');
    expect(api.versionOf('resource_assignment', 'a')).toBeUndefined();
  });
});

describe('problem+json', () => {
  const cases: [number, string, new (...args: never[]) => ApiError][] = [
    [400, 'bad_request', BadRequestError],
    [401, 'unauthenticated', UnauthenticatedError],
    [403, 'forbidden', ForbiddenError],
    [404, 'not_found', NotFoundError],
    [405, 'method_not_allowed', MethodNotAllowedError],
    [409, 'conflict', VersionConflictError],
    [409, 'constraint', ConstraintError],
    [413, 'payload_too_large', PayloadTooLargeError],
    [415, 'unsupported_media_type', UnsupportedMediaTypeError],
    [422, 'validation', ValidationError],
    [503, 'unavailable', UnavailableError],
    [500, 'internal', InternalServerError],
  ];

  it('covers every error code of the API', () => {
    expect(cases.map((c) => c[1]).sort()).toEqual([...PROBLEM_CODES].sort());
  });

  it.each(cases)('maps %i %s to its own class', async (status, code, cls) => {
    const { api } = client([problem(status, code)]);
    const error = await api.get('project', ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).code).toBe(code);
    expect((error as ApiError).message).toBe(`detail of ${code}`);
  });

  it('gives a conflict its versions, current state, attempted changes and changes since', async () => {
    const since = [{ version: 4, recorded_at: '2026-11-28T08:15:00.123Z', user_id: 'u1', changes: { name: { from: 'A', to: 'B' } } }];
    const { api } = client([
      json(200, project(3)),
      problem(409, 'conflict', {
        entity_type: 'project',
        entity_id: ID,
        expected_version: 3,
        current_version: 4,
        current_state: project(4, 'B'),
        attempted_changes: { name: 'C' },
        changes_since: since,
      }),
    ]);
    await api.get('project', ID);
    const e = (await api.update('project', ID, { name: 'C' }).catch((x: unknown) => x)) as VersionConflictError;
    expect(e.entityType).toBe('project');
    expect(e.entityId).toBe(ID);
    expect(e.expectedVersion).toBe(3);
    expect(e.currentVersion).toBe(4);
    expect(e.currentState?.name).toBe('B');
    expect(e.attemptedChanges).toEqual({ name: 'C' });
    expect(e.changesSince).toEqual(since);
  });

  it('lists the field errors of a 422 and the Retry-After of a 503', async () => {
    const { api } = client([
      problem(422, 'validation', { errors: [{ field: 'end_date', message: 'must be after start_date' }] }),
      problem(503, 'unavailable', {}),
    ]);
    const v = (await api.create('project', {}).catch((x: unknown) => x)) as ValidationError;
    expect(v.fieldErrors).toEqual([{ field: 'end_date', message: 'must be after start_date' }]);
    const fake = fakeFetch([json(503, { type: '/problems/unavailable', title: 'u', status: 503, detail: 'd', error: 'unavailable' }, { 'Retry-After': '5' })]);
    const u = (await new FolioClient({ fetch: fake.fetch }).get('project', ID).catch((x: unknown) => x)) as UnavailableError;
    expect(u).toBeInstanceOf(UnavailableError);
    expect(u.retryAfterSeconds).toBe(5);
  });

  it('maps an error answer without a problem body by its status', async () => {
    const { api } = client([new Response('oops', { status: 502 })]);
    await expect(api.get('project', ID)).rejects.toBeInstanceOf(InternalServerError);
  });

  it('tells the application when the token is no longer accepted', async () => {
    let told = 0;
    const fake = fakeFetch([problem(401, 'unauthenticated')]);
    const api = new FolioClient({ fetch: fake.fetch, token: 'old', onUnauthenticated: () => told++ });
    await expect(api.me()).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(told).toBe(1);
  });
});

describe('no automatic retries of an answer', () => {
  it.each([
    ['a version conflict', () => problem(409, 'conflict', { current_version: 4 })],
    ['a constraint', () => problem(409, 'constraint')],
    ['an unavailable server', () => problem(503, 'unavailable')],
    ['an internal error', () => problem(500, 'internal')],
    ['an answer that is not the API', () => new Response('<html>proxy error</html>', { status: 200 })],
  ])('sends an update exactly once after %s', async (_name, answer) => {
    const { api, requests } = client([json(200, project(3)), answer(), json(200, project(4))]);
    await api.get('project', ID);
    const error = await api.update('project', ID, { name: 'B' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    // Give any stray retry a chance to happen before counting.
    await new Promise((r) => setTimeout(r, 20));
    expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('sends a bulk update and a create exactly once after a failure', async () => {
    const { api, requests } = client([problem(503, 'unavailable'), problem(409, 'constraint')]);
    await expect(api.bulkUpdateAssignments([])).rejects.toBeInstanceOf(UnavailableError);
    await expect(api.create('project', { name: 'x' })).rejects.toBeInstanceOf(ConstraintError);
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(2);
  });

  it('does not repeat a read that got no answer', async () => {
    const { api, requests } = client([new TypeError('fetch failed'), json(200, project(3))]);
    await expect(api.get('project', ID)).rejects.toBeInstanceOf(NetworkError);
    expect(requests).toHaveLength(1);
  });
});

describe('Idempotency-Key', () => {
  it('sends a fresh key with every write and none with reads', async () => {
    const a = { ...project(2), id: 'a' };
    const { api, requests } = client([
      json(200, { items: [a], next_cursor: null }),
      json(201, project(1)),
      json(200, { ...a, version: 3 }),
      json(200, { succeeded: [{ id: 'a', version: 4 }], failed: [] }),
      new Response(null, { status: 204 }),
    ]);
    await api.list('resource_assignment');
    await api.create('project', { name: 'Apollo' });
    await api.update('resource_assignment', 'a', { capital_percentage: 10 });
    await api.bulkUpdateAssignments([{ id: 'a', capital_percentage: 20 }]);
    await api.remove('resource_assignment', 'a');
    expect(requests[0].headers['Idempotency-Key']).toBeUndefined();
    const keys = requests.slice(1).map((r) => r.headers['Idempotency-Key']);
    expect(requests.slice(1).map((r) => r.method)).toEqual(['POST', 'PATCH', 'POST', 'DELETE']);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(new Set(keys).size).toBe(4);
  });

  it('repeats a write that got no answer once, with the same key and the same bytes, and says so', async () => {
    const server = keyedWrite(200, project(4, 'B'), { ETag: '"4"' }, { lost: true });
    const { api, requests } = client([json(200, project(3)), server, server]);
    await api.get('project', ID);
    const written = await api.updateWithInfo('project', ID, { name: 'B' });
    const patches = requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(2);
    expect(patches[1].headers['Idempotency-Key']).toBe(patches[0].headers['Idempotency-Key']);
    expect(patches[1].rawBody).toBe(patches[0].rawBody);
    expect(patches[1].headers['If-Match']).toBe('"3"');
    expect(server.runs).toBe(1); // the server ran it once; the repeat got the kept answer
    expect(written).toMatchObject({ value: project(4, 'B'), replayed: true, retried: true, mergedOver: [] });
    expect(api.versionOf('project', ID)).toBe(4);
  });

  it('repeats a create, a delete and a bulk update that got no answer, each once with its key', async () => {
    const a = { ...project(2), id: 'a' };
    const create = keyedWrite(201, project(1), { Location: `/api/v1/projects/${ID}` }, { lost: true });
    const bulk = keyedWrite(200, { succeeded: [{ id: 'a', version: 3 }], failed: [] }, {}, { lost: true });
    const lost = new TypeError('fetch failed');
    const { api, requests } = client([
      json(200, { items: [a], next_cursor: null }),
      create, create,
      bulk, bulk,
      lost, new Response(null, { status: 204 }),
    ]);
    await api.list('resource_assignment');
    const created = await api.createWithInfo('project', { name: 'Apollo' });
    expect([created.replayed, created.retried, created.value.version]).toEqual([true, true, 1]);
    const result = await api.bulkUpdateAssignmentsWithInfo([{ id: 'a', capital_percentage: 20 }]);
    expect([result.replayed, result.retried]).toEqual([true, true]);
    expect(api.versionOf('resource_assignment', 'a')).toBe(3);
    const removed = await api.remove('resource_assignment', 'a');
    expect(removed).toEqual({ mergedOver: [], replayed: false, retried: true });
    const keys = requests.slice(1).map((r) => r.headers['Idempotency-Key']);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).toBe(keys[3]);
    expect(keys[4]).toBe(keys[5]);
    expect(new Set(keys).size).toBe(3);
    expect([create.runs, bulk.runs]).toEqual([1, 1]);
  });

  it('gives up after the second attempt gets no answer either', async () => {
    const { api, requests } = client([json(200, project(3)), new TypeError('fetch failed'), new TypeError('fetch failed'), json(200, project(4))]);
    await api.get('project', ID);
    const error = (await api.update('project', ID, { name: 'B' }).catch((e: unknown) => e)) as NetworkError;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.attempts).toBe(2);
    expect(error.message).toContain('second time');
    await new Promise((r) => setTimeout(r, 20));
    expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    expect(api.versionOf('project', ID)).toBe(3);
  });

  it('does not repeat a 503, even one for a keyed write still running', async () => {
    const busy = json(503, { type: '/problems/unavailable', title: 'u', status: 503, detail: 'still running', error: 'unavailable' }, { 'Retry-After': '1' });
    const { api, requests } = client([json(200, project(3)), busy, json(200, project(4))]);
    await api.get('project', ID);
    await expect(api.update('project', ID, { name: 'B' })).rejects.toBeInstanceOf(UnavailableError);
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(2);
  });

  it('takes the conflict path when the repeat replays a 409', async () => {
    const server = keyedWrite(409, { type: '/problems/conflict', title: 'c', status: 409, detail: 'd', error: 'conflict', current_version: 4, current_state: project(4, 'X') }, {}, { lost: true });
    const { api } = client([json(200, project(3)), server, server]);
    await api.get('project', ID);
    const error = (await api.update('project', ID, { name: 'B' }).catch((e: unknown) => e)) as VersionConflictError;
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error.currentState?.name).toBe('X');
    expect(api.versionOf('project', ID)).toBe(3);
  });
});

describe('Prefer: merge=disjoint', () => {
  it('asks for a merge on updates only', async () => {
    const { api, requests } = client([json(200, project(3)), json(200, project(4, 'B')), json(201, project(1)), new Response(null, { status: 204 })]);
    await api.get('project', ID);
    await api.update('project', ID, { name: 'B' });
    await api.create('project', { name: 'C' });
    await api.remove('project', ID);
    expect(requests[1].headers.Prefer).toBe('merge=disjoint');
    expect(requests[2].headers.Prefer).toBeUndefined();
    expect(requests[3].headers.Prefer).toBeUndefined();
  });

  it('reports a merged update with the versions it went over, and keeps the merged version', async () => {
    const answer = { ...project(6, 'B'), technical_lead: 'Dana' }; // Dana: someone else's change, merged in
    const { api } = client([json(200, project(3)), merged(answer, [4, 5]), json(200, project(7))]);
    await api.get('project', ID);
    const written = await api.updateWithInfo('project', ID, { name: 'B' });
    expect(written.mergedOver).toEqual([4, 5]);
    expect(written.value).toEqual(answer);
    expect([written.replayed, written.retried]).toEqual([false, false]);
    expect(api.versionOf('project', ID)).toBe(6);
  });

  it('reports a plain update as not merged, and update() still answers the entity alone', async () => {
    const { api } = client([json(200, project(3)), json(200, project(4, 'B')), json(200, project(5, 'C'))]);
    await api.get('project', ID);
    expect((await api.updateWithInfo('project', ID, { name: 'B' })).mergedOver).toEqual([]);
    expect(await api.update('project', ID, { name: 'C' })).toEqual(project(5, 'C'));
  });

  it('tells a merge from the version when a replay does not carry Merged-Over', async () => {
    // The first answer (merged over 4 and 5) was lost; the replay keeps only ETag & co.
    const server = keyedWrite(200, project(6, 'B'), { ETag: '"6"', 'Preference-Applied': 'merge=disjoint', 'Merged-Over': '4, 5' }, { lost: true });
    const { api } = client([json(200, project(3)), server, server]);
    await api.get('project', ID);
    const written = await api.updateWithInfo('project', ID, { name: 'B' });
    expect(written).toMatchObject({ replayed: true, retried: true, mergedOver: [4, 5] });
  });

  it('still answers a 409 with everything the conflict dialog needs when fields overlap', async () => {
    const { api, requests } = client([
      json(200, project(3)),
      problem(409, 'conflict', { expected_version: 3, current_version: 4, current_state: project(4, 'X'), attempted_changes: { name: 'B' }, changes_since: [] }),
    ]);
    await api.get('project', ID);
    const e = (await api.update('project', ID, { name: 'B' }).catch((x: unknown) => x)) as VersionConflictError;
    expect(requests[1].headers.Prefer).toBe('merge=disjoint');
    expect(e).toBeInstanceOf(VersionConflictError);
    expect([e.expectedVersion, e.currentVersion, e.currentState?.name]).toEqual([3, 4, 'X']);
    expect(e.attemptedChanges).toEqual({ name: 'B' });
  });
});

describe('utilisation', () => {
  it('reads many resources in one request, and answers null when the server has no such view (404)', async () => {
    const days = [{ date: '2026-03-02', allocated_percentage: 60, available_percentage: 40 }];
    const answer = { from: '2026-03-02', to: '2026-03-02', resources: [{ resource_id: 'a', days }, { resource_id: 'b', days }] };
    const { api, requests } = client([json(200, answer), problem(404, 'not_found')]);
    expect(await api.utilisations(['a', 'b'], '2026-03-02', '2026-03-02')).toEqual(answer);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].url).toBe('/api/v1/resources/utilisation?resource_id=a,b&from=2026-03-02&to=2026-03-02');
    expect(await api.utilisations(['a'], '2026-03-02', '2026-03-02')).toBeNull();
  });

  it('refuses more ids than one request may carry, without sending it', async () => {
    const { api, requests } = client([]);
    const ids = Array.from({ length: UTILISATION_IDS_PER_REQUEST + 1 }, (_, i) => `r${i}`);
    await expect(api.utilisations(ids, '2026-03-02', '2026-03-02')).rejects.toBeInstanceOf(RangeError);
    expect(requests).toHaveLength(0);
  });

  it('passes other errors on to the caller', async () => {
    const { api } = client([problem(422, 'validation', { errors: [{ field: 'to', message: 'must not be before from' }] })]);
    await expect(api.utilisations(['a'], '2026-03-02', '2026-03-01')).rejects.toBeInstanceOf(ValidationError);
  });
});
