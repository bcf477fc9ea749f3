/**
 * On-demand long fuzz run:
 *
 *   npx tsx --expose-gc tests/fuzz/run-fuzz.ts [seconds=60] [seed=24301]
 *
 * Prints the report as JSON and exits non-zero when a check fails (the same
 * checks as tests/integration/fuzz.test.ts).
 */
import { runFuzz, type FuzzReport } from './fuzz-harness';

function failures(report: FuzzReport): string[] {
  const out: string[] = [];
  if (report.echo.mismatches !== 0) out.push(`echo mismatches: ${report.echo.mismatches}`);
  if (report.chat.missing !== 0) out.push(`chat messages missing: ${report.chat.missing}`);
  if (report.chat.outOfOrder !== 0) out.push(`chat messages out of order: ${report.chat.outOfOrder}`);
  if (report.stuckClients !== 0) out.push(`stuck clients: ${report.stuckClients}`);
  for (const [name, entry] of Object.entries(report.raw)) {
    if (entry.closedByServer !== entry.count) out.push(`raw "${name}": ${entry.count - entry.closedByServer} not closed by the server`);
  }
  if (report.connectionCountAfter !== 0) out.push(`connections left: ${report.connectionCountAfter}`);
  const { groups, memberships, waiters } = report.layerStatsAfter;
  if (groups + memberships + waiters !== 0) out.push(`layer state left: ${JSON.stringify(report.layerStatsAfter)}`);
  if (report.unhandledRejections.length) out.push(`unhandled rejections: ${report.unhandledRejections.length}`);
  if (report.serverErrors.length) out.push(`application errors: ${report.serverErrors.length}`);
  if (report.heap.after - report.heap.baseline > 32 * 1024 * 1024) out.push('heap grew by more than 32 MiB');
  return out;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? process.env.FUZZ_SECONDS ?? 60);
  const seed = Number(process.argv[3] ?? process.env.FUZZ_SEED ?? 0x5eed);
  const report = await runFuzz({ seconds, seed });
  const printable = {
    ...report,
    serverErrors: report.serverErrors.map(String),
    unhandledRejections: report.unhandledRejections.map(String),
  };
  console.log(JSON.stringify(printable, null, 2));
  const failed = failures(report);
  if (failed.length > 0) {
    console.error(`FAIL:\n  ${failed.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.error('OK');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
