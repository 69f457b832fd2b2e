// #/system (admins): a live picture of this server for teams without a monitoring stack.
// Reads /metrics every few seconds and draws the last few minutes as small charts:
// requests and errors per second, p99 latency, version conflicts per entity type and the
// projection lag. Stops polling once the page is left.
import type {Session} from '../session';
import {parseMetrics, SystemHistory, type SystemPoint} from '../metrics-model';
import {h, message, replace} from './dom';

const POLL_MS = 3000;
const SVG = 'http://www.w3.org/2000/svg';

interface Series {
  label: string;
  values: number[];
  className: string;
}

function svg(tag: string, attrs: Record<string, string|number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A small line chart of one or more series over the window, with its latest values. */
function chart(title: string, unit: (v: number) => string, series: Series[]): HTMLElement {
  const width = 320;
  const height = 90;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const figure = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: 'none',
    class: 'chart',
    role: 'img',
    'aria-label': title
  });
  figure.append(
      svg('line', {x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'chart-axis'}));
  for (const s of series) {
    if (s.values.length < 1) continue;
    const values =
        s.values.length === 1 ? [s.values[0], s.values[0]] : s.values;  // one sample: a level line
    const step = width / (values.length - 1);
    const points = values.map(
        (v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 6)).toFixed(1)}`);
    figure.append(svg('polyline', {points: points.join(' '), class: `chart-line ${s.className}`}));
  }
  const latest = series.map(
      (s) =>
          h('span', {className: `chart-value ${s.className}`}, `${s.label}: `,
            h('strong', {}, s.values.length ? unit(s.values[s.values.length - 1]) : '–')),
  );
  return h(
      'section', {className: 'chart-card', 'aria-label': title}, h('h2', {}, title),
      figure as unknown as HTMLElement,
      h('p', {className: 'chart-legend'}, latest,
        h('span', {className: 'chart-max'}, ` (top of chart ${unit(max)})`)));
}

const perSecond = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')}/s`;
const milliseconds = (v: number) => `${(v * 1000).toFixed(v < 0.01 ? 2 : 0)} ms`;
const seconds = (v: number) => `${v.toFixed(1)} s`;

// Entity types that had a conflict in the window, most first (at most five lines).
function conflictSeries(points: SystemPoint[]): Series[] {
  const totals = new Map<string, number>();
  for (const p of points)
    for (const [t, v] of Object.entries(p.conflictsPerSecond))
      totals.set(t, (totals.get(t) ?? 0) + v);
  const busiest = [...totals].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).slice(0, 5);
  if (busiest.length === 0)
    return [{label: 'all types', values: points.map(() => 0), className: 'series-0'}];
  return busiest.map(([type], i) => ({
                       label: type.replace(/_/g, ' '),
                       values: points.map((p) => p.conflictsPerSecond[type] ?? 0),
                       className: `series-${i}`,
                     }));
}

function draw(box: HTMLElement, points: SystemPoint[]) {
  const views = [...new Set(points.flatMap((p) => Object.keys(p.projectionLagSeconds)))];
  replace(
      box,
      chart(
          'Requests and errors per second', perSecond,
          [
            {
              label: 'requests',
              values: points.map((p) => p.requestsPerSecond),
              className: 'series-0'
            },
            {
              label: '5xx errors',
              values: points.map((p) => p.errorsPerSecond),
              className: 'series-error'
            },
          ]),
      chart(
          'p99 latency', milliseconds,
          [
            {label: 'p99', values: points.map((p) => p.p99Seconds ?? 0), className: 'series-0'},
          ]),
      chart('Version conflicts per second', perSecond, conflictSeries(points)),
      chart(
          'Projection lag', seconds,
          views.length ? views.map((v, i) => ({
                                     label: v.replace(/_/g, ' '),
                                     values: points.map((p) => p.projectionLagSeconds[v] ?? 0),
                                     className: `series-${i}`
                                   })) :
                         [{label: 'no views', values: [], className: 'series-0'}]),
  );
}

export async function renderSystem(main: HTMLElement, session: Session): Promise<void> {
  if (!session.isAdmin) {
    replace(
        main, h('h1', {}, 'System'),
        message('alert', 'Only administrators can see the System page.'));
    return;
  }
  const status = h('p', {className: 'calendar-sub', role: 'status'}, 'Reading /metrics…');
  const charts = h('div', {className: 'chart-grid'});
  replace(
      main,
      h('h1', {}, 'System'),
      h('p', {className: 'calendar-sub'},
        `This server's own figures, read from /metrics every ${
            POLL_MS / 1000} seconds; the charts show the last three minutes. `,
        'For alerts and history across servers, scrape /metrics with Prometheus (deploy/prometheus).'),
      status,
      charts,
  );
  const history = new SystemHistory(60);
  const poll = async () => {
    try {
      const text = await session.client.metrics();
      history.add({at: Date.now(), samples: parseMetrics(text)});
      if (history.points.length > 0) {
        draw(charts, history.points);
        const n = history.points.length;
        status.textContent =
            `Updated ${new Date().toLocaleTimeString('en-GB')}; ${n} sample${n === 1 ? '' : 's'}.`;
      }
    } catch (e) {
      status.textContent = `Could not read /metrics: ${(e as Error).message}. Trying again.`;
    }
  };
  await poll();
  const timer = window.setInterval(() => {
    if (!main.isConnected || !main.contains(charts)) {
      window.clearInterval(timer);  // the page was left
      return;
    }
    void poll();
  }, POLL_MS);
}
