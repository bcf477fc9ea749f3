/**
 * Write coalescing per event-loop turn. A group send reaches every member
 * in the same turn (in microtasks), under load often several frames per
 * member; corking a member's socket from its second frame of a turn and
 * uncorking once the turn's microtasks have run sends the rest in one
 * `writev` instead of one syscall per frame. The first frame of a turn is
 * written at once, so a lone message (light load) goes out exactly as
 * without coalescing, with no added latency.
 */
import type { Writable } from 'node:stream';

let corked: Writable[] = [];
/** Counts turns; a socket that last wrote in the current turn gets corked. */
let turn = 1;
let turnEndScheduled = false;

/**
 * Call before writing a frame to `socket`; returns the turn number to pass
 * next time. The first frame of a turn passes straight through; from the
 * second one the socket is corked until the end of the turn.
 *
 * The turn ends with a `process.nextTick` queued from a microtask: Node runs
 * it only once the microtask queue has drained, so every frame produced by
 * promise continuations of this turn is covered, whether the first frame
 * came from synchronous code or from a microtask.
 */
export function coalesceWrite(socket: Writable, lastTurn: number): number {
  if (lastTurn === turn) {
    if (socket.writableCorked === 0) {
      socket.cork();
      corked.push(socket);
    }
  } else if (!turnEndScheduled) {
    turnEndScheduled = true;
    queueMicrotask(scheduleTurnEnd);
  }
  return turn;
}

function scheduleTurnEnd(): void {
  process.nextTick(endTurn);
}

function endTurn(): void {
  turn++;
  turnEndScheduled = false;
  // A socket corked while we uncork (from a synchronous callback) starts the next batch.
  const sockets = corked;
  corked = [];
  for (let i = 0; i < sockets.length; i++) sockets[i]!.uncork();
}
