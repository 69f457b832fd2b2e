// The typed client of the Folio HTTP API (API.md). It remembers the version of every
// entity it has received and sends that version with every update and delete, so the
// server can refuse a stale write with 409. Updates ask the server to merge edits of
// disjoint fields over versions they did not see (`Prefer: merge=disjoint`, docs/api.md);
// the answer says when it did. Every write carries a fresh `Idempotency-Key`, and a write
// that got no answer at all (the connection failed) is sent once more with the same key,
// which the server answers exactly (the first answer again, or one run). Nothing else is
// ever retried: an answer (a 409, a 422, a 503...) is the caller's to handle.
import { newId } from '../format';
import { ENTITY_DESCRIPTIONS, type EntityType, type EntityTypes } from './entities.generated';
import type { EntityDescription } from './entity-description';
import { errorFromResponse, NetworkError, NotFoundError, type FieldProblem, type HistoryEntry } from './errors';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TokenInfo {
  access_token: string;
  token_type: string;
  expires_at: string;
}

export interface Me {
  id: string;
  username: string;
  email: string;
  version: number;
  roles: { role_type: string; scope_type: string | null; program_id: string | null; project_id: string | null }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** One bulk item: the version is added by the client from what it last received. */
export interface BulkAssignmentChange {
  id: string;
  capital_percentage?: number;
  expense_percentage?: number;
}

export interface BulkFailure {
  id: string;
  error: 'conflict' | 'not_found' | 'constraint' | 'validation' | 'forbidden' | string;
  message: string;
  current_state: EntityTypes['resource_assignment'] | null;
  errors?: FieldProblem[];
}

export interface BulkResult {
  succeeded: { id: string; version: number }[];
  failed: BulkFailure[];
}

export interface UtilisationDay {
  date: string;
  allocated_percentage: number;
  available_percentage: number;
}

export interface ResourceUtilisation {
  resource_id: string;
  days: UtilisationDay[];
}

/** The answer of GET /api/v1/resources/utilisation: the resources in the order asked. */
export interface Utilisations {
  from: string;
  to: string;
  resources: ResourceUtilisation[];
}

/** The most resource ids one utilisation request may carry (docs/api.md). */
export const UTILISATION_IDS_PER_REQUEST = 200;

/** How the server carried out a write, beyond the body it answered with. */
export interface WriteInfo {
  /**
   * The versions a `Prefer: merge=disjoint` update was applied over (`Merged-Over: 3, 4`):
   * other people's changes, to fields this update did not send, that the answer includes.
   * Empty when the update was based on the current version (or for other writes).
   */
  mergedOver: number[];
  /** The answer is the one kept for an earlier attempt with the same key (`Idempotent-Replayed: true`). */
  replayed: boolean;
  /** The first attempt got no answer (the connection failed) and the client sent it again with the same key. */
  retried: boolean;
}

/** A write's answer with how it was carried out. */
export interface Written<T> extends WriteInfo {
  value: T;
}

export function describe(type: string): EntityDescription {
  const d = ENTITY_DESCRIPTIONS.find((e) => e.type === type);
  if (!d) throw new Error(`unknown entity type '${type}'`);
  return d;
}

/** Thrown by update/delete when the client has never received the entity (no version to send). */
export class UnknownVersionError extends Error {
  constructor(type: string, id: string) {
    super(`no version known for ${type} ${id}: load it before changing it`);
    this.name = 'UnknownVersionError';
  }
}

export interface ClientOptions {
  /** Prefix of every address, e.g. "" (same origin) or "http://127.0.0.1:8080". */
  baseUrl?: string;
  fetch?: FetchLike;
  token?: string | null;
  /** Called when the server answers 401 (token expired or revoked). */
  onUnauthenticated?: () => void;
  /** Pause before the one repeat of a write that got no answer (default 300 ms; tests use 0). */
  retryDelayMs?: number;
}

export class FolioClient {
  token: string | null;
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly onUnauthenticated?: () => void;
  private readonly retryDelayMs: number;
  /** `${entity_type}/${id}` -> the version last received. */
  private readonly versions = new Map<string, number>();

  constructor(options: ClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.token = options.token ?? null;
    this.onUnauthenticated = options.onUnauthenticated;
    this.retryDelayMs = options.retryDelayMs ?? 300;
  }

  /** The version last received for an entity, if any. */
  versionOf(type: EntityType, id: string): number | undefined {
    return this.versions.get(`${type}/${id}`);
  }

  /** Records the version of an entity representation (done for every response). */
  remember(type: EntityType, entity: { id: string; version: number }): void {
    this.versions.set(`${type}/${entity.id}`, entity.version);
  }

  /** The server's /metrics (Prometheus text format; no token needed) for the System page. */
  async metrics(): Promise<string> {
    const response = await this.fetchImpl(`${this.baseUrl}/metrics`, {method: 'GET'});
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    return response.text();
  }

  async login(username: string, password: string): Promise<TokenInfo> {
    const info = await this.request<TokenInfo>('POST', '/api/v1/auth/token', { username, password }, false);
    this.token = info.access_token;
    return info;
  }

  me(): Promise<Me> {
    return this.request<Me>('GET', '/api/v1/auth/me');
  }

  async list<T extends EntityType>(
    type: T,
    params: { limit?: number; cursor?: string | null; filters?: Record<string, string> } = {},
  ): Promise<Page<EntityTypes[T]>> {
    const query = new URLSearchParams();
    if (params.limit) query.set('limit', String(params.limit));
    if (params.cursor) query.set('cursor', params.cursor);
    for (const [k, v] of Object.entries(params.filters ?? {})) query.set(k, v);
    const q = query.toString();
    const page = await this.request<Page<EntityTypes[T]>>('GET', `${this.path(type)}${q ? `?${q}` : ''}`);
    for (const item of page.items) this.remember(type, item);
    return page;
  }

  /** Every item, following next_cursor (reads only; `max` bounds the number of pages). */
  async listAll<T extends EntityType>(type: T, filters: Record<string, string> = {}, max = 20): Promise<EntityTypes[T][]> {
    const items: EntityTypes[T][] = [];
    let cursor: string | null = null;
    for (let i = 0; i < max; i++) {
      const page: Page<EntityTypes[T]> = await this.list(type, { limit: 500, cursor, filters });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  async get<T extends EntityType>(type: T, id: string): Promise<EntityTypes[T]> {
    const entity = await this.request<EntityTypes[T]>('GET', `${this.path(type)}/${encodeURIComponent(id)}`);
    this.remember(type, entity);
    return entity;
  }

  async create<T extends EntityType>(type: T, fields: Record<string, unknown>): Promise<EntityTypes[T]> {
    return (await this.createWithInfo(type, fields)).value;
  }

  /** create(), telling also whether the answer was a replay of a lost one. */
  async createWithInfo<T extends EntityType>(type: T, fields: Record<string, unknown>): Promise<Written<EntityTypes[T]>> {
    const written = await this.write<EntityTypes[T]>('POST', this.path(type), fields);
    this.remember(type, written.value);
    return written;
  }

  /**
   * A partial update: only `changes` are sent, with the version last received for this
   * entity (in the body and as If-Match). It asks for a merge (`Prefer: merge=disjoint`):
   * when that version is stale but nobody changed a field sent since, the server applies
   * it over the newer versions (updateWithInfo tells). On success the new version replaces
   * it; on a 409 nothing changes here: the caller decides, with the user, what to do.
   */
  async update<T extends EntityType>(type: T, id: string, changes: Record<string, unknown>): Promise<EntityTypes[T]> {
    return (await this.updateWithInfo(type, id, changes)).value;
  }

  /**
   * update(), telling also whether the server merged it over versions it was not based on
   * (then the entity answered holds those versions' changes too: show it) and whether
   * the answer was a replay.
   */
  async updateWithInfo<T extends EntityType>(type: T, id: string, changes: Record<string, unknown>): Promise<Written<EntityTypes[T]>> {
    const version = this.versionOf(type, id);
    if (version === undefined) throw new UnknownVersionError(type, id);
    const body = { ...changes, version };
    const written = await this.write<EntityTypes[T]>('PATCH', `${this.path(type)}/${encodeURIComponent(id)}`, body, {
      'If-Match': `"${version}"`,
      Prefer: 'merge=disjoint',
    });
    this.remember(type, written.value);
    if (written.replayed && written.mergedOver.length === 0) written.mergedOver = skippedVersions(version, written.value.version);
    return written;
  }

  /** Deletes with the version last received (If-Match). */
  async remove(type: EntityType, id: string): Promise<WriteInfo> {
    const version = this.versionOf(type, id);
    if (version === undefined) throw new UnknownVersionError(type, id);
    const { value: _, ...info } = await this.write<void>('DELETE', `${this.path(type)}/${encodeURIComponent(id)}`, undefined, {
      'If-Match': `"${version}"`,
    });
    this.versions.delete(`${type}/${id}`);
    return info;
  }

  async history(type: EntityType, id: string): Promise<HistoryEntry[]> {
    const body = await this.request<{ items: HistoryEntry[] }>('GET', `${this.path(type)}/${encodeURIComponent(id)}/history`);
    return body.items;
  }

  /**
   * Many assignments in one request, each with the version last received for it. Each
   * item succeeds or fails on its own; successes store their new version, failures keep
   * the old one (the user refreshes before retrying).
   */
  async bulkUpdateAssignments(changes: BulkAssignmentChange[]): Promise<BulkResult> {
    return (await this.bulkUpdateAssignmentsWithInfo(changes)).value;
  }

  /** bulkUpdateAssignments(), telling also whether the answer was a replay of a lost one. */
  async bulkUpdateAssignmentsWithInfo(changes: BulkAssignmentChange[]): Promise<Written<BulkResult>> {
    const items = changes.map((c) => {
      const version = this.versionOf('resource_assignment', c.id);
      if (version === undefined) throw new UnknownVersionError('resource_assignment', c.id);
      return { ...c, version };
    });
    const written = await this.write<BulkResult>('POST', '/api/v1/resource-assignments/bulk-update', items);
    for (const s of written.value.succeeded) this.remember('resource_assignment', s);
    return written;
  }

  /**
   * The allocation per day across all projects of up to UTILISATION_IDS_PER_REQUEST
   * resources, in one request; resources that do not exist (or were deleted) are left out.
   * Null when the server has no such view (404). More ids are the caller's to split.
   */
  async utilisations(resourceIds: string[], from: string, to: string): Promise<Utilisations | null> {
    if (resourceIds.length > UTILISATION_IDS_PER_REQUEST) {
      throw new RangeError(`at most ${UTILISATION_IDS_PER_REQUEST} resources per utilisation request, not ${resourceIds.length}`);
    }
    // Commas as such, as the server documents the list (the ids are UUIDs).
    const ids = resourceIds.map(encodeURIComponent).join(',');
    const q = new URLSearchParams({ from, to }).toString();
    try {
      return await this.request<Utilisations>('GET', `/api/v1/resources/utilisation?resource_id=${ids}&${q}`);
    } catch (e) {
      if (e instanceof NotFoundError) return null;
      throw e;
    }
  }

  private path(type: EntityType): string {
    return `/api/v1/${describe(type).collection}`;
  }

  /** Exactly one HTTP request; an error answer becomes its typed error. */
  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return this.read<T>(await this.exchange(method, path, text, auth, headers), auth);
  }

  /**
   * A write under a fresh Idempotency-Key. When the first attempt gets no answer at all it
   * may or may not have run; the same request with the same key is then exact (the server
   * answers with what the first attempt did, or runs it once), so it is sent once more.
   * Only once: a connection that fails twice is for the user to look at. An answer, even
   * a 503, is never repeated here (the caller decides; docs/api.md).
   */
  private async write<T>(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Written<T>> {
    // Serialized once: a repeat must be byte for byte the same request, or the key is refused.
    const text = body === undefined ? undefined : JSON.stringify(body);
    const keyed = { ...headers, 'Idempotency-Key': newId() };
    let retried = false;
    let response: Response;
    try {
      response = await this.exchange(method, path, text, true, keyed);
    } catch (e) {
      if (!(e instanceof NetworkError)) throw e;
      retried = true;
      await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      try {
        response = await this.exchange(method, path, text, true, keyed);
      } catch (again) {
        if (again instanceof NetworkError) throw new NetworkError(`${again.message.replace(/\.$/, '')}, also when sent a second time.`, 2);
        throw again;
      }
    }
    const value = await this.read<T>(response, true);
    return {
      value,
      mergedOver: versionList(response.headers.get('Merged-Over')),
      replayed: response.headers.get('Idempotent-Replayed') === 'true',
      retried,
    };
  }

  /** Sends one HTTP request; no answer at all (fetch throws) is a NetworkError. */
  private async exchange(method: string, path: string, body: string | undefined, auth: boolean, headers: Record<string, string>): Promise<Response> {
    const h: Record<string, string> = { Accept: 'application/json, application/problem+json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth && this.token) h.Authorization = `Bearer ${this.token}`;
    try {
      return await this.fetchImpl(this.baseUrl + path, { method, headers: h, body });
    } catch (e) {
      throw new NetworkError(`The server could not be reached (${e instanceof Error ? e.message : String(e)}).`);
    }
  }

  /** The body of an answer; an error answer becomes its typed error. */
  private async read<T>(response: Response, auth: boolean): Promise<T> {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!response.ok) {
      const error = errorFromResponse(response.status, parsed, response.headers.get('Retry-After'));
      if (response.status === 401 && auth) this.onUnauthenticated?.();
      throw error;
    }
    if (parsed === undefined) throw new NetworkError(`The server answered ${response.status} without a JSON body.`);
    return parsed as T;
  }
}

/** "3, 4" (a Merged-Over header) as [3, 4]; absent or unreadable as []. */
function versionList(header: string | null): number[] {
  if (!header) return [];
  return header.split(',').map((v) => Number(v.trim())).filter((v) => Number.isInteger(v) && v > 0);
}

/**
 * The versions between the one an update was based on and the one it produced. A replayed
 * answer keeps only the status, body, ETag and Location of the first one, not its
 * Merged-Over; but an update that was not merged always produces the version sent + 1,
 * so a larger version means it was merged over those in between.
 */
function skippedVersions(sent: number, produced: number): number[] {
  const versions: number[] = [];
  for (let v = sent + 1; v < produced; v++) versions.push(v);
  return versions;
}
