import {describe, expect, it} from 'vitest';

import {parseMetrics, pointBetween, quantileBetween, SystemHistory} from '../src/metrics-model';

// Two scrapes as `folio serve` writes them, 2 s apart.
const before = `# HELP folio_http_requests_total HTTP requests by method, route and status.
# TYPE folio_http_requests_total counter
folio_http_requests_total{method="GET",route="/api/v1/projects/{id}",status="200"} 100
folio_http_requests_total{method="PATCH",route="/api/v1/projects/{id}",status="500"} 1
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="0.001"} 50
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="0.01"} 100
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="+Inf"} 101
folio_version_conflicts_total{entity_type="project"} 3
folio_version_conflicts_total{entity_type="resource_assignment"} 0
folio_projection_lag_seconds{view="resource_utilisation"} 0
`;
const after =
    `folio_http_requests_total{method="GET",route="/api/v1/projects/{id}",status="200"} 300
folio_http_requests_total{method="PATCH",route="/api/v1/projects/{id}",status="500"} 5
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="0.001"} 150
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="0.01"} 300
folio_http_request_duration_seconds_bucket{route="/api/v1/projects/{id}",le="+Inf"} 305
folio_version_conflicts_total{entity_type="project"} 7
folio_version_conflicts_total{entity_type="resource_assignment"} 0
folio_projection_lag_seconds{view="resource_utilisation"} 1.5
`;

describe('the System page figures from /metrics', () => {
  it('parses samples with their labels and skips comments', () => {
    const samples = parseMetrics(before);
    expect(samples).toHaveLength(8);
    expect(samples[0]).toEqual({
      name: 'folio_http_requests_total',
      labels: {method: 'GET', route: '/api/v1/projects/{id}', status: '200'},
      value: 100,
    });
    expect(samples[4].value).toBe(101);
    expect(parseMetrics('a{x="q\\"uote"} +Inf')[0])
        .toEqual({name: 'a', labels: {x: 'q"uote'}, value: Infinity});
  });

  it('gives rates per second, errors, conflicts by type and the lag between two scrapes', () => {
    const point = pointBetween(
        {at: 0, samples: parseMetrics(before)}, {at: 2000, samples: parseMetrics(after)});
    expect(point.requestsPerSecond).toBe(102);  // (300 + 5 - 101) / 2
    expect(point.errorsPerSecond).toBe(2);
    expect(point.conflictsPerSecond).toEqual({project: 2, resource_assignment: 0});
    expect(point.projectionLagSeconds).toEqual({resource_utilisation: 1.5});
  });

  it('takes the p99 of the requests in between from the histogram buckets', () => {
    // 204 requests between: 100 under 1 ms, 100 more under 10 ms, 4 above: rank 201.96 is
    // past the 10 ms bucket, so the largest finite bound.
    expect(quantileBetween(parseMetrics(before), parseMetrics(after), 0.99)).toBe(0.01);
    // The median (rank 102) falls 2/100 into the second bucket.
    expect(quantileBetween(parseMetrics(before), parseMetrics(after), 0.5))
        .toBeCloseTo(0.001 + 0.009 * 0.02);
    expect(quantileBetween(parseMetrics(before), parseMetrics(before), 0.99)).toBeNull();
  });

  it('treats a counter that went down as a restarted server', () => {
    const restarted = 'folio_http_requests_total{status="200"} 10\n';
    const point = pointBetween(
        {at: 0, samples: parseMetrics(before)}, {at: 1000, samples: parseMetrics(restarted)});
    expect(point.requestsPerSecond).toBe(10);
  });

  it('keeps a window of points, the first scrape giving none', () => {
    const history = new SystemHistory(2);
    expect(history.add({at: 0, samples: parseMetrics(before)})).toBeNull();
    history.add({at: 1000, samples: parseMetrics(after)});
    history.add({at: 2000, samples: parseMetrics(after)});
    history.add({at: 3000, samples: parseMetrics(after)});
    expect(history.points.map((p) => p.at)).toEqual([2000, 3000]);
    expect(history.points[1].requestsPerSecond).toBe(0);
  });
});
