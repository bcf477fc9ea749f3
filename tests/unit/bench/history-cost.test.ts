import { historyCostCheck } from '../../../bench/lib/report';
import type { RunRecord } from '../../../bench/lib/metrics';

function record(run: number, scenario: string, server: 'pubsub' | 'pubsub-history', cpu: number, error?: string): RunRecord {
  return { run, scenario, server, figures: { cpuUsPerDelivery: cpu } as RunRecord['figures'], seconds: 1, ...(error ? { error } : {}) };
}

describe('historyCostCheck (the bench bar line for the cost of history)', () => {
  it('pairs each history run with the same run without history and checks the median cost', () => {
    const records = [
      record(1, 'rooms', 'pubsub', 10),
      record(1, 'rooms', 'pubsub-history', 11), // +10 %
      record(2, 'rooms', 'pubsub', 20),
      record(2, 'rooms', 'pubsub-history', 21), // +5 %: a slow run on both sides cancels
      record(3, 'rooms', 'pubsub', 10),
      record(3, 'rooms', 'pubsub-history', 13), // +30 %
    ];
    const check = historyCostCheck(records);
    expect(check.status).toBe('met');
    expect(check.detail).toBe('rooms +10 % [+5 % – +30 %] (3 runs)');
  });

  it('is not met when the median cost of any scenario passes 15 %', () => {
    const records = [record(1, 'fanout-100', 'pubsub', 10), record(1, 'fanout-100', 'pubsub-history', 11), record(1, 'rooms', 'pubsub', 10), record(1, 'rooms', 'pubsub-history', 11.6)];
    const check = historyCostCheck(records);
    expect(check.status).toBe('not met');
    expect(check.detail).toBe('fanout-100 +10 % [+10 % – +10 %] (1 run); rooms +16 % [+16 % – +16 %] (1 run)');
  });

  it('leaves out failed runs and runs without a partner, and says when nothing was measured', () => {
    expect(historyCostCheck([record(1, 'rooms', 'pubsub-history', 11)]).status).toBe('not measured');
    expect(historyCostCheck([record(1, 'rooms', 'pubsub', 10, 'boom'), record(1, 'rooms', 'pubsub-history', 11)]).status).toBe('not measured');
    expect(historyCostCheck([record(1, 'rooms', 'pubsub', 10), record(2, 'rooms', 'pubsub-history', 11)]).status).toBe('not measured');
  });
});
