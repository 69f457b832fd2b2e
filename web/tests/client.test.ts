import { describe, expect, it } from 'vitest';
import { FolioClient, UnknownVersionError } from '../src/api/client';
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
import { fakeFetch, json, problem } from './fake-server';

const ID = '01938a1e-0000-7000-8000-000000000001';
const project = (version: number, name = 'Apollo') => ({
  id: ID,
  version,
  created_at: '2026-11-28T08:00:00.000Z',
  updated_at: '2026-11-28T08:00:00.000Z',
  name,
});

function client(responses: (Response | Error)[]) {
  const fake = fakeFetch(responses);
  return { api: new FolioClient({ fetch: fake.fetch, token: 'tok' }), requests: fake.requests };
}

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

describe('no automatic retries', () => {
  it.each([
    ['a version conflict', () => problem(409, 'conflict', { current_version: 4 })],
    ['a constraint', () => problem(409, 'constraint')],
    ['an unavailable server', () => problem(503, 'unavailable')],
    ['an internal error', () => problem(500, 'internal')],
    ['a lost connection', () => new TypeError('fetch failed')],
  ])('sends an update exactly once after %s', async (_name, answer) => {
    const { api, requests } = client([json(200, project(3)), answer(), json(200, project(4))]);
    await api.get('project', ID);
    const error = await api.update('project', ID, { name: 'B' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    if (_name === 'a lost connection') expect(error).toBeInstanceOf(NetworkError);
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
});

describe('utilisation', () => {
  it('reads utilisation, and answers null when the server has no such view (404)', async () => {
    const days = [{ date: '2026-03-02', allocated_percentage: 60, available_percentage: 40 }];
    const { api, requests } = client([json(200, { resource_id: 'r', from: '2026-03-02', to: '2026-03-02', days }), problem(404, 'not_found')]);
    expect((await api.utilisation('r', '2026-03-02', '2026-03-02'))?.days).toEqual(days);
    expect(requests[0].url).toBe('/api/v1/resources/r/utilisation?from=2026-03-02&to=2026-03-02');
    expect(await api.utilisation('r', '2026-03-02', '2026-03-02')).toBeNull();
  });
});
