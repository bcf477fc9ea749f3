/**
 * Where per-connection memory goes: diff two V8 heap snapshots (an empty
 * server, then the same server holding N connections) by node type and
 * constructor name, in bytes per connection.
 *
 * @example
 * npx tsx bench/heap-summary.ts before.heapsnapshot after.heapsnapshot 10000 [--top 30]
 * (npm run bench -- --scenarios idle --heap-snapshots writes such pairs)
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count by `type:name` (names of closures, strings and arrays are folded). */
function aggregate(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const stride = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += stride) {
    const type = types[snap.nodes[i + iType]!]!;
    let name = snap.strings[snap.nodes[i + iName]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)';
    else if (type === 'number') name = '(heap numbers)';
    else if (type === 'code') name = '(code)';
    else if (type === 'array') name = name.startsWith('(') ? name : '(arrays)';
    else if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += snap.nodes[i + iSize]!;
    out.set(key, entry);
  }
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 30;
  const [before, after, n] = [args[0], args[1], Number(args[2])];
  if (!before || !after || !(n > 0)) {
    process.stderr.write('usage: tsx bench/heap-summary.ts before.heapsnapshot after.heapsnapshot connections [--top N]\n');
    process.exitCode = 2;
    return;
  }
  const a = aggregate(before);
  const b = aggregate(after);
  const rows: Array<[string, number, number]> = [];
  let total = 0;
  for (const [key, v] of b) {
    const old = a.get(key) ?? { count: 0, size: 0 };
    const size = (v.size - old.size) / n;
    const count = (v.count - old.count) / n;
    total += size;
    rows.push([key, count, size]);
  }
  rows.sort((x, y) => y[2] - x[2]);
  process.stdout.write(`heap growth: ${total.toFixed(0)} B per connection\n\n  B/conn  objs/conn  type:name\n`);
  for (const [key, count, size] of rows.slice(0, top)) {
    process.stdout.write(`${size.toFixed(0).padStart(8)}  ${count.toFixed(2).padStart(9)}  ${key}\n`);
  }
}

main();
