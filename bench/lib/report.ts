/**
 * The human output: one markdown table per scenario (rows are servers), then
 * the issue's bar, each line met / not met / not measured with its figures.
 */
import { SERVER_KINDS, type ServerKind } from './cluster';
import { cell, fmt, metricInfo, type MetricSummary, type RunRecord, type Summary } from './metrics';

const COLUMNS: Record<string, string[]> = {
  'fanout-100': ['deliveriesPerSec', 'cpuUsPerDelivery', 'redisCpuUsPerDelivery', 'p50Ms', 'p99Ms', 'maxMs', 'serverCorePct', 'loadgenCorePct'],
  'fanout-1000': ['deliveriesPerSec', 'cpuUsPerDelivery', 'redisCpuUsPerDelivery', 'p50Ms', 'p99Ms', 'maxMs', 'serverCorePct', 'loadgenCorePct'],
  rooms: ['deliveriesPerSec', 'cpuUsPerDelivery', 'redisCpuUsPerDelivery', 'p50Ms', 'p99Ms', 'maxMs', 'serverCorePct', 'loadgenCorePct'],
  latency: ['p50Ms', 'p90Ms', 'p99Ms', 'maxMs', 'cpuUsPerDelivery'],
  idle: ['connections', 'rssPerConn', 'heapPerConn', 'baselineRssMiB', 'connectPerSec', 'deliveriesPerSec', 'cpuUsPerDelivery', 'p99Ms'],
  churn: ['cyclesPerSec', 'cpuUsPerCycle', 'failures'],
  room10k: ['p50Ms', 'p90Ms', 'p99Ms', 'maxMs', 'cpuUsPerDelivery', 'delivered'],
  c100k: ['connections', 'connectSeconds', 'connectPerSec', 'rssPerConn', 'heapPerConn', 'rssMiB', 'delivered', 'p99Ms', 'maxMs', 'cpuUsPerDelivery', 'loadgenCorePct'],
  recovery: ['recoverAllMs', 'recoverP50Ms', 'recoverP99Ms', 'recoveredPerSec', 'cpuUsPerRecovered', 'commandsPerRecovered', 'commandsPerReconnect', 'notRecovered'],
};

function withRatio(key: string, s: MetricSummary | undefined): string {
  let text = cell(s);
  if (s?.ratioToRaw) text += ` · ×${s.ratioToRaw.median.toFixed(2)}`;
  if (s?.aboveRaw) text += ` · ${s.aboveRaw.median >= 0 ? '+' : ''}${fmt(s.aboveRaw.median)}`;
  if (s?.ratioToPeer && !key.includes('@')) text += ` · ×${s.ratioToPeer.median.toFixed(2)} sio`;
  return text;
}

function integrity(m: Record<string, MetricSummary>): string {
  const t = (k: string) => fmt(m[k]?.total ?? 0);
  return `${t('lost')}/${t('duplicated')}/${t('outOfOrder')}`;
}

/** Markdown tables, one per scenario that ran. */
export function renderTables(summary: Summary, titles: Record<string, string>, records: RunRecord[]): string {
  const out: string[] = [];
  for (const [scenario, byServer] of Object.entries(summary)) {
    const servers = Object.keys(byServer) as ServerKind[];
    let columns = COLUMNS[scenario];
    if (!columns) {
      // redis-cost: its keys carry the group size.
      const keys = new Set(servers.flatMap((s) => Object.keys(byServer[s]!)));
      columns = [...keys].filter((k) => /^(commandsPerGroupSend|bytesInPerGroupSend|bytesOutPerGroupSend|cpuUsPerDelivery)@/.test(k)).sort((a, b) => {
        const [ka, sa] = a.split('@');
        const [kb, sb] = b.split('@');
        return ka === kb ? Number(sa) - Number(sb) : ka!.localeCompare(kb!);
      });
    }
    columns = columns.filter((c) => servers.some((s) => byServer[s]![c]));
    const header = ['server', ...columns.map((c) => metricInfo(c).label + (c.includes('@') ? ` (group ${c.split('@')[1]})` : '')), 'lost/dup/ooo'];
    out.push(`### ${scenario}: ${titles[scenario] ?? ''}`, '');
    out.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
    for (const server of servers) {
      const m = byServer[server]!;
      out.push(`| ${SERVER_KINDS[server].label} | ${columns.map((c) => withRatio(c, m[c])).join(' | ')} | ${integrity(m)} |`);
    }
    out.push('');
  }
  const failed = records.filter((r) => r.error);
  if (failed.length) {
    out.push('### Failed steps', '');
    for (const r of failed) out.push(`- run ${r.run}, ${r.scenario} on ${r.server}: ${r.error!.split('\n')[0]}`);
    out.push('');
  }
  return out.join('\n');
}

/** One line of the issue's bar. */
export interface BarCheck {
  bar: string;
  status: 'met' | 'not met' | 'not measured';
  detail: string;
}

function median(summary: Summary, scenario: string, server: ServerKind, key: string): MetricSummary | undefined {
  return summary[scenario]?.[server]?.[key];
}

/** The bar of the issue, checked against the medians (ratios are per run, then the median). */
export function checkBar(summary: Summary, records: RunRecord[]): BarCheck[] {
  const checks: BarCheck[] = [];
  const ratioCheck = (bar: string, server: ServerKind, scenarios: string[], key: string, test: (r: number) => boolean) => {
    const parts: string[] = [];
    let all = true;
    let any = false;
    for (const sc of scenarios) {
      const r = median(summary, sc, server, key)?.ratioToRaw;
      if (!r) continue;
      any = true;
      if (!test(r.median)) all = false;
      parts.push(`${sc} ×${r.median.toFixed(2)} [${r.min.toFixed(2)}–${r.max.toFixed(2)}]`);
    }
    checks.push({ bar, status: any ? (all ? 'met' : 'not met') : 'not measured', detail: parts.join('; ') });
  };
  ratioCheck('memory layer fan-out: CPU per delivery ≤ 1.25× raw ws', 'memory', ['fanout-100', 'fanout-1000'], 'cpuUsPerDelivery', (r) => r <= 1.25);
  ratioCheck('memory layer fan-out: deliveries/s ≥ 0.8× raw ws', 'memory', ['fanout-100', 'fanout-1000'], 'deliveriesPerSec', (r) => r >= 0.8);
  ratioCheck('memory layer: light-load latency p99 ≤ 1.5× raw ws', 'memory', ['latency'], 'p99Ms', (r) => r <= 1.5);
  {
    {
      // Metrics on against metrics off, same memory server: medians of CPU per delivery.
      const parts: string[] = [];
      let all = true;
      for (const sc of ['fanout-100', 'fanout-1000']) {
        const on = median(summary, sc, 'metrics', 'cpuUsPerDelivery')?.median;
        const off = median(summary, sc, 'memory', 'cpuUsPerDelivery')?.median;
        if (!on || !off) continue;
        if (on / off > 1.05) all = false;
        parts.push(`${sc} ×${(on / off).toFixed(3)} (${on.toFixed(2)} vs ${off.toFixed(2)} µs)`);
      }
      checks.push({ bar: 'metrics on: fan-out CPU per delivery ≤ 1.05× metrics off', status: parts.length ? (all ? 'met' : 'not met') : 'not measured', detail: parts.join('; ') });
    }
    {
      // Phoenix protocol against the tutorial-protocol consumer, both on the memory layer (medians).
      const parts: string[] = [];
      let all = true;
      let any = false;
      for (const sc of ['fanout-100', 'fanout-1000']) {
        const phx = median(summary, sc, 'phoenix', 'cpuUsPerDelivery')?.median;
        const tut = median(summary, sc, 'memory', 'cpuUsPerDelivery')?.median;
        if (!phx || !tut) continue;
        any = true;
        const r = phx / tut;
        if (r > 1.25) all = false;
        parts.push(`${sc} ×${r.toFixed(2)} (${phx.toFixed(2)} vs ${tut.toFixed(2)} µs)`);
      }
      checks.push({
        bar: 'Phoenix protocol fan-out: CPU per delivery ≤ 1.25× the tutorial-protocol consumer (memory layer)',
        status: any ? (all ? 'met' : 'not met') : 'not measured',
        detail: parts.join('; '),
      });
    }
  }
  checks.push(historyCostCheck(records));
  ratioCheck(
    'Redis pub/sub, 2 processes: CPU per delivery (both processes + Redis) ≤ 2× raw ws',
    'pubsub',
    ['fanout-100', 'fanout-1000', 'rooms'],
    'cpuUsPerDelivery',
    (r) => r <= 2,
  );

  const peerCheck = (bar: string, servers: ServerKind[], scenarios: string[], limit: number) => {
    const parts: string[] = [];
    let all = true;
    for (const server of servers) {
      for (const sc of scenarios) {
        const m = median(summary, sc, server, 'cpuUsPerDelivery');
        const r = m?.ratioToPeer;
        if (!m || !r) continue;
        if (r.median > limit) all = false;
        const peer = SERVER_KINDS[server].peer!;
        const theirs = median(summary, sc, peer, 'cpuUsPerDelivery')!;
        parts.push(`${SERVER_KINDS[server].label} ${sc} ×${r.median.toFixed(2)} [${r.min.toFixed(2)}–${r.max.toFixed(2)}] (${m.median.toFixed(2)} vs ${theirs.median.toFixed(2)} µs)`);
      }
    }
    checks.push({ bar, status: parts.length ? (all ? 'met' : 'not met') : 'not measured', detail: parts.join('; ') });
  };
  const throughputScenarios = ['fanout-100', 'fanout-1000', 'rooms'];
  peerCheck(
    'Redis pub/sub layer: CPU per delivery (server + Redis) ≤ 1.0× Socket.IO + redis-adapter, 1 and 2 processes',
    ['pubsub', 'pubsub1'],
    throughputScenarios,
    1.0,
  );
  peerCheck(
    "Redis pub/sub layer, publishAck 'written': CPU per delivery (server + Redis) ≤ 1.0× Socket.IO + redis-adapter, 1 and 2 processes",
    ['pubsub-async', 'pubsub-async1'],
    throughputScenarios,
    1.0,
  );
  peerCheck('Redis core layer: CPU per delivery (server + Redis) ≤ 1.5× Socket.IO + redis-adapter, 1 and 2 processes', ['redis', 'redis1'], throughputScenarios, 1.5);

  for (const server of ['pubsub', 'redis'] as ServerKind[]) {
    const m = summary['redis-cost']?.[server];
    if (!m) {
      if (server === 'pubsub') checks.push({ bar: 'Redis pub/sub: Redis commands per groupSend independent of group size', status: 'not measured', detail: '' });
      continue;
    }
    // The core layer sends one copy per destination process, so a group of 1 (one process) is cheaper by design:
    // compare it only across groups that span both processes.
    const sizes = Object.keys(m).filter((k) => k.startsWith('commandsPerGroupSend@') && (server === 'pubsub' || Number(k.split('@')[1]) > 1));
    const values = sizes.map((k) => m[k]!.median);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    // "Independent" allows background noise (keep-alives, the bench's own probes): within 10 % or 0.2 commands.
    const flat = hi - lo <= Math.max(0.2, lo * 0.1);
    checks.push({
      bar: `${SERVER_KINDS[server].label}: Redis commands per groupSend independent of group size${server === 'redis' ? ' (not in the bar; groups spanning both processes)' : ''}`,
      status: flat ? 'met' : 'not met',
      detail: sizes.map((k, i) => `group ${k.split('@')[1]}: ${values[i]!.toFixed(2)}`).join('; '),
    });
  }

  const idle = summary.idle;
  if (idle?.memory?.rssPerConn?.aboveRaw) {
    const a = idle.memory.rssPerConn.aboveRaw;
    const h = idle.memory.heapPerConn?.aboveRaw;
    checks.push({
      bar: 'idle connection: ≤ 3 KB per connection above raw ws (memory layer, RSS)',
      status: a.median <= 3072 ? 'met' : 'not met',
      detail: `RSS +${fmt(a.median)} B/conn [${fmt(a.min)}–${fmt(a.max)}]${h ? `; heap +${fmt(h.median)} B/conn` : ''}`,
    });
  } else {
    checks.push({ bar: 'idle connection: ≤ 3 KB per connection above raw ws', status: 'not measured', detail: '' });
  }

  const held = records.filter((r) => r.scenario === 'idle' && !r.error);
  const bigEnough = held.filter((r) => (r.figures.connections ?? 0) >= 10_000);
  const heldFail = held.filter((r) => (r.figures.connections ?? 0) < 10_000 || r.figures.lost !== 0 || r.figures.duplicated !== 0);
  checks.push({
    bar: '10,000 concurrent connections held with the 100-room chat running',
    status: held.length === 0 || (bigEnough.length === 0 && heldFail.every((r) => !r.figures.lost && !r.figures.duplicated)) ? 'not measured' : heldFail.length === 0 ? 'met' : 'not met',
    detail: held.length
      ? [...new Set(held.map((r) => r.server))]
          .map((s) => {
            const mine = held.filter((r) => r.server === s);
            const conns = Math.min(...mine.map((r) => r.figures.connections ?? 0));
            const lost = mine.reduce((n, r) => n + (r.figures.lost ?? 0) + (r.figures.duplicated ?? 0), 0);
            return `${s}: ${fmt(conns)} held, ${lost} lost+duplicated`;
          })
          .join('; ')
      : '',
  });

  const big = records.filter((r) => r.scenario === 'c100k');
  if (big.length) {
    const bad = big.filter((r) => r.error || (r.figures.connections ?? 0) < 100_000 || r.figures.lost !== 0 || r.figures.duplicated !== 0 || (r.figures.connectSeconds ?? Infinity) >= 60);
    checks.push({
      bar: '100,000 connections on one process (memory layer, 1,000 rooms): all connected in < 60 s, a broadcast to every room with zero lost',
      status: bad.length ? 'not met' : 'met',
      detail: big
        .map((r) =>
          r.error
            ? `run ${r.run}: ${r.error.split('\n')[0]}`
            : `run ${r.run}: ${fmt(r.figures.connections)} held, connected in ${fmt(r.figures.connectSeconds)} s, ${fmt(r.figures.lost)} lost, RSS ${fmt(r.figures.rssPerConn)} B/conn, heap ${fmt(r.figures.heapPerConn)} B/conn`,
        )
        .join('; '),
    });
  }
  const room = summary.room10k;
  if (room) {
    const parts = Object.entries(room).map(([server, m]) => `${SERVER_KINDS[server as ServerKind].label}: p99 ${fmt(m!.p99Ms?.median)} ms`);
    const mine = room.memory?.p99Ms?.median;
    checks.push({
      bar: 'a broadcast to one room of 10,000 members reaches all within 1 s at p99 (memory layer)',
      status: mine === undefined ? 'not measured' : mine <= 1000 ? 'met' : 'not met',
      detail: parts.join('; '),
    });
  }

  const ok = records.filter((r) => !r.error);
  const bad = ok.filter((r) => (r.figures.lost ?? 0) > 0 || (r.figures.duplicated ?? 0) > 0);
  checks.push({
    bar: 'zero lost or duplicated deliveries in every scenario',
    status: ok.length === 0 ? 'not measured' : bad.length === 0 ? 'met' : 'not met',
    detail:
      bad.length === 0
        ? `${ok.length} scenario runs, ${fmt(ok.reduce((n, r) => n + (r.figures.delivered ?? 0), 0))} deliveries checked`
        : bad.map((r) => `run ${r.run} ${r.scenario}/${r.server}: lost ${r.figures.lost}, duplicated ${r.figures.duplicated}`).join('; '),
  });
  return checks;
}

export function renderBar(checks: BarCheck[]): string {
  const mark = { met: 'met', 'not met': '**NOT MET**', 'not measured': 'not measured' } as const;
  return ['| bar | status | figures (median [min–max]) |', '|---|---|---|', ...checks.map((c) => `| ${c.bar} | ${mark[c.status]} | ${c.detail} |`)].join('\n');
}

/** Most CPU per delivery that history may add on the pub/sub layer (issue: ≤ 15 %). */
export const HISTORY_COST_LIMIT = 0.15;

/**
 * The cost of history on the pub/sub layer: per run, CPU per delivery of
 * `pubsub-history` over `pubsub` measured in the same run and scenario (the
 * two run side by side, so the machine's drift between runs cancels), then
 * the median of those per-run costs against HISTORY_COST_LIMIT.
 */
export function historyCostCheck(records: readonly RunRecord[]): BarCheck {
  const bar = `Redis pub/sub layer: history adds ≤ ${HISTORY_COST_LIMIT * 100} % CPU per delivery (server + Redis; median of per-run costs)`;
  const parts: string[] = [];
  let all = true;
  for (const scenario of ['fanout-100', 'fanout-1000', 'rooms']) {
    const costs: number[] = [];
    for (const withHistory of records) {
      if (withHistory.scenario !== scenario || withHistory.server !== 'pubsub-history' || withHistory.error) continue;
      const without = records.find((r) => r.run === withHistory.run && r.scenario === scenario && r.server === 'pubsub' && !r.error);
      if (!without || !(without.figures.cpuUsPerDelivery > 0)) continue;
      costs.push(withHistory.figures.cpuUsPerDelivery / without.figures.cpuUsPerDelivery - 1);
    }
    if (costs.length === 0) continue;
    costs.sort((x, y) => x - y);
    const mid = costs.length >> 1;
    const cost = costs.length % 2 === 1 ? costs[mid]! : (costs[mid - 1]! + costs[mid]!) / 2;
    if (cost > HISTORY_COST_LIMIT) all = false;
    const pct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(0)} %`;
    parts.push(`${scenario} ${pct(cost)} [${pct(costs[0]!)} – ${pct(costs[costs.length - 1]!)}] (${costs.length} run${costs.length === 1 ? '' : 's'})`);
  }
  return { bar, status: parts.length ? (all ? 'met' : 'not met') : 'not measured', detail: parts.join('; ') };
}
