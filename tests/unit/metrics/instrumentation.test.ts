/** The plain counters behind /metrics: bounded labels, histograms, connection tags. */
import { BoundedLabels, PlainHistogram } from '../../../src/metrics/plain-histogram';
import { ConnectionTag, recordRoute } from '../../../src/metrics/connection-tag';
import { Instrumentation, instrumentation, CONNECTION_TAG, refusalReasonOf, dropReasonOf } from '../../../src/metrics/instrumentation';

describe('BoundedLabels', () => {
  it('keeps the first `limit` values and maps every later one (and over-long ones) to other', () => {
    const labels = new BoundedLabels(3);
    expect(['a', 'b', 'c', 'd', 'a', 'e'].map((v) => labels.labelOf(v))).toEqual(['a', 'b', 'c', 'other', 'a', 'other']);
    expect(new BoundedLabels(10).labelOf('x'.repeat(101))).toBe('other');
  });

  it('caps handler event types at 64 per process', () => {
    const m = new Instrumentation();
    for (let i = 0; i < 200; i++) m.handlerDone(`type.${i}`, performance.now());
    expect(m.handlerDurations.size).toBe(65);
    expect(m.handlerDurations.get('other')!.count).toBe(136);
  });
});

describe('PlainHistogram', () => {
  it('counts per bucket and reports cumulative counts ending at the total', () => {
    const h = new PlainHistogram([0.1, 1]);
    for (const v of [0.05, 0.1, 0.5, 2, 3]) h.observe(v);
    expect(h.counts).toEqual([2, 1, 2]);
    expect(h.cumulative()).toEqual([2, 3, 5]);
    expect(h.count).toBe(5);
    expect(h.sum).toBeCloseTo(5.65);
  });
});

describe('ConnectionTag', () => {
  it('counts an open connection under its route and protocol, moves it on a protocol switch, and releases it once', () => {
    const scope: Record<symbol, unknown> = {};
    const tag = new ConnectionTag('http');
    scope[CONNECTION_TAG] = tag;
    recordRoute(scope, 'api/', false);
    recordRoute(scope, 'events/<id>/', true);
    tag.opened();
    const http = instrumentation.connectionGauge('api/events/<id>/', 'http');
    const sse = instrumentation.connectionGauge('api/events/<id>/', 'sse');
    expect([http.open, sse.open]).toEqual([1, 0]);
    tag.switchProtocol('sse');
    expect([http.open, sse.open]).toEqual([0, 1]);
    tag.closed();
    tag.closed();
    expect([http.open, sse.open]).toEqual([0, 0]);
  });
});

it('maps statuses and drop reasons to a fixed set of labels', () => {
  expect([400, 401, 403, 404, 429, 500, 503, 504, 418, 502].map(refusalReasonOf)).toEqual([
    'bad_request', 'unauthorized', 'forbidden', 'not_found', 'rate_limited', 'error', 'unavailable', 'timeout', 'client_error', 'server_error',
  ]);
  expect(['channel full', 'local buffer full; oldest message dropped', 'no process listens for this channel', 'undecodable message: x', 'whatever'].map(dropReasonOf)).toEqual([
    'channel_full', 'buffer_full', 'no_listener', 'undecodable', 'other',
  ]);
});
