// A scripted stand-in for fetch in the client's unit tests: it records every request and
// answers each from a queue of prepared responses (the end-to-end tests use the real server).
export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export function fakeFetch(responses: (Response | Error)[]) {
  const requests: Recorded[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    requests.push({
      method: String(init.method),
      url,
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const next = responses.shift();
    if (!next) throw new Error('fakeFetch: no response prepared for this request');
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
