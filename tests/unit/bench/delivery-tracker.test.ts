import { DeliveryTracker } from '../../../bench/loadgen/delivery-tracker';

/** One room of 2 members with one sender (id 0); phase 3. */
function tracker(): DeliveryTracker {
  const t = new DeliveryTracker(3, [{ size: 2, senders: 1, senderIds: [0] }], 1, 10, 100);
  t.sent(0, 0);
  t.sent(0, 1);
  return t;
}

const frame = (body: string): Buffer => Buffer.from(JSON.stringify({ message: body }));

describe('DeliveryTracker.receiveBytes (the load generator fast path)', () => {
  it('reads phase, sender, sequence and send time straight from the bytes', () => {
    const t = tracker();
    t.receiveBytes(0, 0, frame('3:0:0:100.25'), 101);
    t.receiveBytes(0, 1, frame('3:0:0:100.25'), 102.25);
    t.receiveBytes(0, 0, frame('3:0:1:200'), 205);
    const report = t.report();
    expect(report).toMatchObject({ delivered: 3, duplicated: 0, outOfOrder: 0, unexpected: 0 });
    expect(report.latencyMs.max).toBeCloseTo(5);
    expect(report.latencyMs.mean).toBeCloseTo((0.75 + 2 + 5) / 3);
  });

  it('keeps leading zeros of the fraction', () => {
    const t = tracker();
    t.receiveBytes(0, 0, frame('3:0:0:100.05'), 100.55);
    expect(t.report().latencyMs.max).toBeCloseTo(0.5);
  });

  it('counts duplicates and out-of-order deliveries per member and sender', () => {
    const t = tracker();
    t.receiveBytes(0, 0, frame('3:0:1:1'), 2);
    t.receiveBytes(0, 0, frame('3:0:0:1'), 2);
    t.receiveBytes(0, 0, frame('3:0:0:1'), 2);
    expect(t.report()).toMatchObject({ delivered: 2, duplicated: 1, outOfOrder: 1 });
  });

  it('sends anything else through the slow path: other phases, malformed numbers, other JSON spellings', () => {
    const t = tracker();
    t.receiveBytes(0, 0, frame('4:0:0:1'), 2); // another phase
    t.receiveBytes(0, 0, frame('3:x:0:1'), 2); // not a number
    t.receiveBytes(0, 0, Buffer.from('{ "message": "3:0:0:1" }'), 2); // spaces: parsed as JSON
    expect(t.report()).toMatchObject({ delivered: 1, unexpected: 2 });
  });
});
