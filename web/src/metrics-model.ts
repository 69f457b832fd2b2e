// The System page's figures, from Folio's /metrics (Prometheus text format): each scrape is
// parsed into samples, and two scrapes a few seconds apart give rates (requests and errors
// per second, conflicts per second by entity type), the p99 latency of the requests in
// between (from the latency histograms' buckets), and the projection lag as it is now.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  at: number;  // ms, the clock of the browser
  samples: Sample[];
}

export interface SystemPoint {
  at: number;
  requestsPerSecond: number;
  errorsPerSecond: number;                       // 5xx answers
  p99Seconds: number|null;                       // null: no request in between
  conflictsPerSecond: Record<string, number>;    // by entity type
  projectionLagSeconds: Record<string, number>;  // by view, as at the later scrape
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a text exposition; comments and lines that are not samples are skipped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (!Number.isNaN(value)) samples.push({name: m[1], labels, value});
  }
  return samples;
}

function sum(
    samples: Sample[], name: string,
    where: (l: Record<string, string>) => boolean = () => true): number {
  return samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);
}

function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === name && s.labels[label] !== undefined)
      out[s.labels[label]] = (out[s.labels[label]] ?? 0) + s.value;
  }
  return out;
}

// A counter's increase; a restarted server's counter starts again from 0 (then the later
// value is the whole increase, as Prometheus' rate() assumes).
function increase(before: number, after: number): number {
  return after >= before ? after - before : after;
}

/**
 * The q-quantile of the requests between two scrapes, over all routes, as Prometheus'
 *  histogram_quantile: linear within the bucket it falls in.
 */
export function quantileBetween(before: Sample[], after: Sample[], q: number): number|null {
  const bucket = 'folio_http_request_duration_seconds_bucket';
  const counts = new Map<number, number>();
  const earlier = byLabel(before, bucket, 'le');
  for (const [le, value] of Object.entries(byLabel(after, bucket, 'le'))) {
    const bound = le === '+Inf' ? Infinity : Number(le);
    counts.set(bound, increase(earlier[le] ?? 0, value));
  }
  const bounds = [...counts.keys()].sort((a, b) => a - b);
  const total = counts.get(Infinity) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = counts.get(bound)!;
    if (count >= rank) {
      if (bound === Infinity) return lower;  // beyond the largest finite bucket: its bound
      return lower + ((bound - lower) * (rank - below)) / Math.max(count - below, 1e-12);
    }
    lower = bound;
    below = count;
  }
  return lower;
}

/** One point of the charts from two successive scrapes. */
export function pointBetween(before: Scrape, after: Scrape): SystemPoint {
  const seconds = Math.max((after.at - before.at) / 1000, 1e-3);
  const rate = (name: string, where?: (l: Record<string, string>) => boolean) =>
      increase(sum(before.samples, name, where), sum(after.samples, name, where)) / seconds;
  const conflictsBefore = byLabel(before.samples, 'folio_version_conflicts_total', 'entity_type');
  const conflictsPerSecond: Record<string, number> = {};
  for (const [type, value] of Object.entries(
           byLabel(after.samples, 'folio_version_conflicts_total', 'entity_type'))) {
    conflictsPerSecond[type] = increase(conflictsBefore[type] ?? 0, value) / seconds;
  }
  return {
    at: after.at,
    requestsPerSecond: rate('folio_http_requests_total'),
    errorsPerSecond: rate('folio_http_requests_total', (l) => (l.status ?? '').startsWith('5')),
    p99Seconds: quantileBetween(before.samples, after.samples, 0.99),
    conflictsPerSecond,
    projectionLagSeconds: byLabel(after.samples, 'folio_projection_lag_seconds', 'view'),
  };
}

/** Keeps the last `capacity` points: the charts' window. */
export class SystemHistory {
  readonly points: SystemPoint[] = [];
  private last: Scrape|null = null;

  constructor(readonly capacity = 60) {}

  add(scrape: Scrape): SystemPoint|null {
    const before = this.last;
    this.last = scrape;
    if (!before) return null;
    const point = pointBetween(before, scrape);
    this.points.push(point);
    if (this.points.length > this.capacity) this.points.shift();
    return point;
  }
}
