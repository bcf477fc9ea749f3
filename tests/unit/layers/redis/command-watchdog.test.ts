import { CommandWatchdog } from '../../../../src/layers/redis/command-watchdog';

const DEADLINE = 1000;

describe('CommandWatchdog', () => {
  let stalls: number;
  let watchdog: CommandWatchdog;

  beforeEach(() => {
    jest.useFakeTimers();
    stalls = 0;
    watchdog = new CommandWatchdog(DEADLINE, () => stalls++);
  });

  afterEach(() => {
    watchdog.stop();
    jest.useRealTimers();
  });

  it('reports a command left unanswered exactly at the deadline, once', () => {
    watchdog.sent();
    jest.advanceTimersByTime(DEADLINE - 1);
    expect(stalls).toBe(0);
    jest.advanceTimersByTime(1);
    expect(stalls).toBe(1);
    jest.advanceTimersByTime(10 * DEADLINE);
    expect(stalls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps a busy connection that answers within the deadline, however long it stays busy', () => {
    watchdog.sent();
    for (let i = 0; i < 50; i++) {
      watchdog.sent();
      jest.advanceTimersByTime(DEADLINE * 0.9);
      watchdog.settled();
    }
    expect(watchdog.outstanding).toBe(1);
    expect(stalls).toBe(0);
  });

  it('counts the deadline from the last reply: no sooner than the deadline, no later than 1.25 times it', () => {
    for (const offset of [1, DEADLINE / 8, DEADLINE / 4 - 1]) {
      const local = new CommandWatchdog(DEADLINE, () => stalls++);
      stalls = 0;
      local.sent();
      local.sent();
      jest.advanceTimersByTime(DEADLINE / 2 + offset);
      local.settled(); // a reply: the other command's deadline starts here
      jest.advanceTimersByTime(DEADLINE - 1);
      expect(stalls).toBe(0);
      jest.advanceTimersByTime(DEADLINE / 4 + 1);
      expect(stalls).toBe(1);
      local.stop();
    }
  });

  it('starts the deadline afresh for the first command after an idle spell', () => {
    watchdog.sent();
    jest.advanceTimersByTime(DEADLINE * 0.9);
    watchdog.settled();
    jest.advanceTimersByTime(DEADLINE / 20); // idle, but the timer has not noticed yet
    expect(jest.getTimerCount()).toBe(1);
    watchdog.sent();
    jest.advanceTimersByTime(DEADLINE - 1);
    expect(stalls).toBe(0);
    jest.advanceTimersByTime(DEADLINE / 4 + 1);
    expect(stalls).toBe(1);
  });

  it('runs no timer while nothing is outstanding', () => {
    expect(jest.getTimerCount()).toBe(0);
    watchdog.sent();
    expect(jest.getTimerCount()).toBe(1);
    watchdog.settled();
    jest.advanceTimersByTime(DEADLINE / 4);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10 * DEADLINE);
    expect(stalls).toBe(0);
  });

  it('reports nothing once stopped', () => {
    watchdog.sent();
    watchdog.stop();
    expect(jest.getTimerCount()).toBe(0);
    watchdog.sent();
    jest.advanceTimersByTime(10 * DEADLINE);
    expect(stalls).toBe(0);
  });
});
