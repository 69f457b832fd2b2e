// A scripted stand-in for fetch in the client's unit tests: it records every request and
// answers each from a queue of prepared answers (the end-to-end tests use the real server).
// An answer is a Response, an Error (fetch throws it: no answer at all), or a function of
// the request that gives either (to answer as the server would, e.g. by Idempotency-Key).
export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** The body exactly as sent: a repeat with the same key must send the same bytes. */
  rawBody: string | undefined;
}

export type Answer = Response | Error | ((request: Recorded) => Response | Error);

export function fakeFetch(responses: Answer[]) {
  const requests: Recorded[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const rawBody = init.body === undefined || init.body === null ? undefined : String(init.body);
    const request: Recorded = {
      method: String(init.method),
      url,
      headers: { ...(init.headers as Record<string, string>) },
      body: rawBody === undefined ? undefined : JSON.parse(rawBody),
      rawBody,
    };
    requests.push(request);
    const prepared = responses.shift();
    if (!prepared) throw new Error('fakeFetch: no response prepared for this request');
    const next = typeof prepared === 'function' ? prepared(request) : prepared;
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, requests };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type, ...headers } });
}

export function problem(status: number, error: string, extra: Record<string, unknown> = {}): Response {
  const type = error === 'conflict' ? '/problems/version-conflict' : `/problems/${error}`;
  return json(status, { type, title: error, status, detail: `detail of ${error}`, error, ...extra });
}

/** A 200 update answer merged over `versions` (Prefer: merge=disjoint applied). */
export function merged(body: { version: number }, versions: number[]): Response {
  return json(200, body, { ETag: `"${body.version}"`, 'Preference-Applied': 'merge=disjoint', 'Merged-Over': versions.join(', ') });
}

/**
 * One write endpoint that keeps its answer by Idempotency-Key, as Folio does: the first
 * request with a key runs and gets `status`/`body`/`headers` (with `lost`, that answer
 * never arrives, as when the connection breaks after the server ran the write); a repeat
 * with that key runs nothing and gets the kept answer again, with only the headers Folio
 * keeps (Content-Type, ETag, Location, Retry-After) and `Idempotent-Replayed: true`.
 * Put it into fakeFetch's queue once per request expected; `runs` counts the real runs.
 */
export function keyedWrite(status: number, body: unknown, headers: Record<string, string> = {}, options: { lost?: boolean } = {}) {
  const kept = new Set<string>();
  const KEPT = ['Content-Type', 'ETag', 'Location', 'Retry-After'];
  const endpoint = Object.assign(
    (request: Recorded): Response | Error => {
      const key = request.headers['Idempotency-Key'];
      if (key && kept.has(key)) {
        const first = json(status, body, headers);
        const replay: Record<string, string> = { 'Idempotent-Replayed': 'true' };
        for (const name of KEPT) {
          const value = first.headers.get(name);
          if (value !== null) replay[name] = value;
        }
        return new Response(JSON.stringify(body), { status, headers: replay });
      }
      endpoint.runs++;
      if (key) kept.add(key);
      return options.lost && endpoint.runs === 1 ? new TypeError('fetch failed') : json(status, body, headers);
    },
    { runs: 0 },
  );
  return endpoint;
}
