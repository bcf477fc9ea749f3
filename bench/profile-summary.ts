/**
 * Summarise a V8 .cpuprofile (from `npm run bench -- --profile`): the
 * functions with the most self time, and the Switchyard functions with the
 * most total (inclusive) time.
 *
 * @example
 * npx tsx bench/profile-summary.ts bench/results/profiles/CPU.*.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(frame: CallFrame): string {
  const file = frame.url ? path.relative(process.cwd(), frame.url.replace(/^file:\/\//, '')) : '';
  return `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`.trim();
}

function main(): void {
  const args = process.argv.slice(2);
  const topIndex = args.indexOf('--top');
  const top = topIndex >= 0 ? Number(args.splice(topIndex, 2)[1]) : 25;
  if (args.length === 0) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile>... [--top N]\n');
    process.exitCode = 2;
    return;
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const file of args) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const hits = new Map<number, number>();
    profile.samples.forEach((id, i) => hits.set(id, (hits.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const [id, us] of hits) {
      const node = byId.get(id)!;
      const name = label(node.callFrame);
      all += us;
      if (node.callFrame.functionName === '(idle)') idle += us;
      self.set(name, (self.get(name) ?? 0) + us);
      // Inclusive time: charge every distinct frame on the stack once.
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const l = label(byId.get(cur)!.callFrame);
        if (seen.has(l)) continue;
        seen.add(l);
        total.set(l, (total.get(l) ?? 0) + us);
      }
    }
  }
  const busy = all - idle;
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s (idle ${(idle / 1e6).toFixed(2)} s excluded)\n\nself time:\n`);
  for (const [name, us] of [...self].filter(([n]) => !n.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${pct(us)}  ${name}\n`);
  }
  process.stdout.write('\ninclusive time, src/ only:\n');
  for (const [name, us] of [...total].filter(([n]) => n.includes('src/')).sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${pct(us)}  ${name}\n`);
  }
}

main();
