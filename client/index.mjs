// switchyard-channels/client: recovery for phoenix.js channels, in the browser
// (no bundler needed: it imports nothing) and in Node.
//
// A server channel that calls `recoverHistory` pushes every broadcast with its
// `offset` and `epoch` and answers a join carrying `{since: {offset, epoch}}`
// with `{recovered, epoch, offset}`, replaying what the client missed. This
// helper keeps the last position per topic and sends it on every rejoin
// (phoenix.js evaluates a params function each time it joins), and tells the
// app whether the join recovered, so it can refetch its state when not.

function isPosition(payload) {
  return (
    payload !== null &&
    typeof payload === 'object' &&
    typeof payload.offset === 'number' &&
    Number.isSafeInteger(payload.offset) &&
    payload.offset >= 0 &&
    typeof payload.epoch === 'string' &&
    payload.epoch !== ''
  );
}

// phoenix.js routes its own events (join replies, push replies, errors) through
// the same hook: they carry no position of the topic's history.
function isProtocolEvent(event) {
  return event.startsWith('phx_') || event.startsWith('chan_reply_');
}

/**
 * A phoenix.js channel whose joins recover what the client missed.
 *
 * @example
 * import { Socket } from 'phoenix';
 * import { RecoveringChannel } from 'switchyard-channels/client';
 *
 * const socket = new Socket('/socket', { params: { name } });
 * const room = new RecoveringChannel(socket, 'room:lobby');
 * room.channel.on('new_msg', show);
 * room.onJoin(({ recovered, rejoin }) => { if (!recovered) refetch(); });
 * room.join();
 * socket.connect();
 */
export class RecoveringChannel {
  #position = null;
  #recovered = null;
  #joins = 0;
  #listeners = [];

  /**
   * @param socket a phoenix.js Socket
   * @param topic the topic, e.g. `room:lobby`
   * @param params join params (an object or a function returning one); `since` is added to them
   * @param options `{ since }`: a position to start from (e.g. one kept in sessionStorage)
   */
  constructor(socket, topic, params = {}, options = {}) {
    if (options.since !== undefined && options.since !== null) {
      if (!isPosition(options.since)) throw new TypeError('RecoveringChannel: since must be {offset: a whole number >= 0, epoch: a non-empty string}');
      this.#position = { offset: options.since.offset, epoch: options.since.epoch };
    }
    this.topic = topic;
    const base = typeof params === 'function' ? params : () => params;
    /** The phoenix.js Channel: `on`, `push`, `leave` as usual. */
    this.channel = socket.channel(topic, () => {
      const given = base() || {};
      return this.#position === null ? { ...given } : { ...given, since: { ...this.#position } };
    });
    const previous = this.channel.onMessage.bind(this.channel);
    this.channel.onMessage = (event, payload, ref, joinRef) => {
      const handled = previous(event, payload, ref, joinRef);
      if (!isProtocolEvent(event) && isPosition(handled)) this.#advance(handled);
      return handled;
    };
  }

  /** The last position handled, `{offset, epoch}`, or null before the first: what the next join sends as `since`. */
  get position() {
    return this.#position === null ? null : { ...this.#position };
  }

  /** Whether the latest join recovered everything since the position it sent; null before the first join reply. */
  get recovered() {
    return this.#recovered;
  }

  /**
   * Join (once; phoenix.js rejoins by itself after a reconnect, with the
   * position of the moment). Returns the phoenix.js join Push.
   */
  join(timeout) {
    const push = timeout === undefined ? this.channel.join() : this.channel.join(timeout);
    push.receive('ok', (response) => this.#joined(response));
    return push;
  }

  /**
   * Call `callback({ recovered, epoch, offset, rejoin, response })` after
   * every successful join: `recovered` false means messages were lost (a new
   * epoch, or a gap longer than the server's history): refetch the state.
   * Returns a function that removes the callback.
   */
  onJoin(callback) {
    this.#listeners.push(callback);
    return () => {
      const index = this.#listeners.indexOf(callback);
      if (index !== -1) this.#listeners.splice(index, 1);
    };
  }

  /** Leave the topic (phoenix.js `leave`). */
  leave(timeout) {
    return timeout === undefined ? this.channel.leave() : this.channel.leave(timeout);
  }

  #advance(at) {
    const current = this.#position;
    if (current === null || current.epoch !== at.epoch || at.offset > current.offset) this.#position = { offset: at.offset, epoch: at.epoch };
  }

  #joined(response) {
    const rejoin = this.#joins > 0;
    this.#joins++;
    const known = response !== null && typeof response === 'object' && typeof response.recovered === 'boolean' && isPosition(response);
    // A join without a usable position, or one whose epoch is gone, starts from the topic's latest offset:
    // what is replayed after this reply is backlog. A join that recovered (or only lost a gap) keeps its
    // position, so a drop during the replay asks again for what it did not get.
    if (known && (this.#position === null || this.#position.epoch !== response.epoch)) {
      this.#position = { offset: response.offset, epoch: response.epoch };
    }
    this.#recovered = known ? response.recovered : false;
    const outcome = {
      recovered: this.#recovered,
      epoch: known ? response.epoch : null,
      offset: known ? response.offset : null,
      rejoin,
      response,
    };
    for (const listener of [...this.#listeners]) listener(outcome);
  }
}

/**
 * Shorthand: a RecoveringChannel joined at once.
 *
 * @example
 * const room = recoveringChannel(socket, 'room:lobby', {}, { onJoin: ({ recovered }) => recovered || refetch() });
 */
export function recoveringChannel(socket, topic, params = {}, options = {}) {
  const recovering = new RecoveringChannel(socket, topic, params, options);
  if (typeof options.onJoin === 'function') recovering.onJoin(options.onJoin);
  recovering.join(options.timeout);
  return recovering;
}
