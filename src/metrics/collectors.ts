/**
 * The Switchyard metric families, as prom-client custom metrics: each reads
 * the plain counters of `instrumentation` when the registry is scraped, so
 * nothing calls prom-client on a hot path.
 */
import { instrumentation, type Instrumentation } from './instrumentation';
import type { PlainHistogram } from './plain-histogram';

/** One exposition sample, in the shape prom-client's registry formats. */
export interface Sample {
  labels?: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A metric family as prom-client's `Registry.registerMetric` takes it. */
export interface CustomMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] }>;
  reset(): void;
}

type Family = [suffix: string, type: CustomMetric['type'], help: string, read: (m: Instrumentation) => Sample[]];

function map<K>(entries: Iterable<[K, number]>, label: string): Sample[] {
  const out: Sample[] = [];
  for (const [key, value] of entries) out.push({ labels: { [label]: String(key) }, value });
  return out;
}

function histogramSamples(name: string, histogram: PlainHistogram, labels: Record<string, string>): Sample[] {
  const cumulative = histogram.cumulative();
  const out: Sample[] = histogram.bounds.map((bound, i) => ({
    metricName: `${name}_bucket`,
    labels: { ...labels, le: String(bound) },
    value: cumulative[i]!,
  }));
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: histogram.count });
  out.push({ metricName: `${name}_sum`, labels, value: histogram.sum });
  out.push({ metricName: `${name}_count`, labels, value: histogram.count });
  return out;
}

/** Metric names without the prefix, with their help text: docs/metrics.md lists the same. */
function families(prefix: string): Family[] {
  return [
    ['connections_open', 'gauge', 'Open connections by route pattern and protocol (websocket, http, sse, phoenix).', (m) => {
      const out: Sample[] = [];
      for (const gauge of m.connectionGauges()) out.push({ labels: { route: gauge.route, protocol: gauge.protocol }, value: gauge.open });
      return out;
    }],
    ['handshakes_total', 'counter', 'WebSocket handshakes by outcome (accepted, refused, abandoned) and refusal reason.', (m) => {
      const out: Sample[] = [];
      for (const [outcome, value] of m.handshakes) {
        const labels =
          outcome === 'accepted' || outcome === 'abandoned' ? { outcome, reason: 'none' } : { outcome: 'refused', reason: outcome };
        out.push({ labels, value });
      }
      return out;
    }],
    ['websocket_messages_received_total', 'counter', 'WebSocket messages received from clients.', (m) => [{ value: m.messagesIn }]],
    ['websocket_messages_sent_total', 'counter', 'WebSocket messages sent to clients.', (m) => [{ value: m.messagesOut }]],
    ['websocket_received_bytes_total', 'counter', 'Bytes read from WebSocket connections on the wire (frames and handshakes).', (m) => [{ value: m.socketBytes().read }]],
    ['websocket_sent_bytes_total', 'counter', 'Bytes written to WebSocket connections on the wire (frames and handshakes).', (m) => [{ value: m.socketBytes().written }]],
    ['slow_client_closes_total', 'counter', 'Connections closed with 4008 because their outgoing buffer passed maxBufferedBytes.', (m) => [{ value: m.slowClientCloses }]],
    ['rate_limit_hits_total', 'counter', 'Frames over a RateLimitMiddleware limit, by the action taken.', (m) => [
      { labels: { action: 'close' }, value: m.rateLimitHits.close },
      { labels: { action: 'error_frame' }, value: m.rateLimitHits.errorFrame },
    ]],
    ['handler_duration_seconds', 'histogram', 'Consumer handler run time by event type (at most 64 types; the rest are "other").', (m) => {
      const out: Sample[] = [];
      for (const [type, histogram] of m.handlerDurations) out.push(...histogramSamples(`${prefix}handler_duration_seconds`, histogram, { event_type: type }));
      return out;
    }],
    ['events_unhandled_total', 'counter', 'Events dropped because the consumer has no handler for their type.', (m) => map(m.unhandled, 'event_type')],
    ['layer_group_sends_total', 'counter', 'groupSend calls, by channel layer alias.', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.groupSends }))],
    ['layer_deliveries_total', 'counter', 'Layer messages delivered to consumers of this process, by channel layer alias.', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.deliveries }))],
    ['layer_dropped_total', 'counter', 'Layer messages dropped, by channel layer alias and reason (channel_full, buffer_full, no_listener, expired, undecodable, other).', (m) => {
      const out: Sample[] = [];
      for (const s of m.layers.values()) for (const [reason, value] of s.dropped) out.push({ labels: { layer: s.alias, reason }, value });
      return out;
    }],
    ['layer_operation_duration_seconds', 'histogram', 'Channel layer operation latency (successful calls), by alias and operation.', (m) => {
      const out: Sample[] = [];
      for (const s of m.layers.values()) {
        for (const [operation, histogram] of s.operations) {
          if (histogram.count > 0) out.push(...histogramSamples(`${prefix}layer_operation_duration_seconds`, histogram, { layer: s.alias, operation }));
        }
      }
      return out;
    }],
    ['layer_up', 'gauge', '1 while the channel layer backend is reachable, 0 during an outage.', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.downSince >= 0 ? 0 : 1 }))],
    ['layer_disconnects_total', 'counter', 'Times the channel layer backend was lost.', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.disconnects }))],
    ['layer_reconnects_total', 'counter', 'Times the channel layer backend came back (subscriptions and memberships restored).', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.reconnects }))],
    ['layer_unavailable_seconds_total', 'counter', 'Time the channel layer backend was unavailable, the current outage included.', (m) => [...m.layers.values()].map((s) => ({ labels: { layer: s.alias }, value: s.unavailableMsNow() / 1000 }))],
    ['presence_members', 'gauge', 'Members present in tracked groups, over every PresenceTracker of this process (all nodes they know).', (m) => [{ value: presenceTotals(m).members }]],
    ['presence_groups', 'gauge', 'Groups with at least one present member.', (m) => [{ value: presenceTotals(m).groups }]],
  ];
}

/** Members and groups over every tracker. */
export function presenceTotals(m: Instrumentation = instrumentation): { members: number; groups: number } {
  let members = 0;
  let groups = 0;
  for (const tracker of m.presence) {
    for (const group of tracker.groups()) {
      groups++;
      members += tracker.list(group).length;
    }
  }
  return { members, groups };
}

/** The Switchyard metric families under `prefix` (default `switchyard_`). */
export function switchyardMetrics(prefix: string, source: Instrumentation = instrumentation): CustomMetric[] {
  return families(prefix).map(([suffix, type, help, read]) => {
    const name = `${prefix}${suffix}`;
    return {
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: read(source) }),
      reset: () => {},
    };
  });
}
