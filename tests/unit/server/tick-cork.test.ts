import { Writable } from 'node:stream';
import { coalesceWrite } from '../../../src/server/tick-cork';

/** A writable that records how writes reach it: one entry per _write/_writev call. */
function recorder(): { stream: Writable; batches: string[][]; turn: number; write(text: string): void } {
  const batches: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      batches.push([chunk.toString()]);
      callback();
    },
    writev(chunks, callback) {
      batches.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      callback();
    },
  });
  const r = {
    stream,
    batches,
    turn: 0,
    write(text: string) {
      r.turn = coalesceWrite(stream, r.turn);
      stream.write(text);
    },
  };
  return r;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('coalesceWrite', () => {
  it('writes the first frame of a turn at once and coalesces the rest of the turn, microtasks included', async () => {
    const a = recorder();
    const b = recorder();
    await new Promise<void>((resolve) => {
      setImmediate(() => {
        a.write('1');
        expect(a.batches).toEqual([['1']]); // first frame: no delay
        void Promise.resolve().then(() => {
          a.write('2');
          b.write('x');
          return Promise.resolve().then(() => a.write('3'));
        });
        setImmediate(resolve);
      });
    });
    expect(a.batches).toEqual([['1'], ['2', '3']]);
    expect(b.batches).toEqual([['x']]);
    expect(a.stream.writableCorked).toBe(0);
    expect(b.stream.writableCorked).toBe(0);
  });

  it('a later turn starts afresh: one frame per turn is never delayed', async () => {
    const a = recorder();
    for (const text of ['1', '2', '3']) {
      await nextTurn();
      a.write(text);
      expect(a.batches.at(-1)).toEqual([text]);
    }
    expect(a.batches).toEqual([['1'], ['2'], ['3']]);
  });
});
