/**
 * What `join` and `handleIn` return: `Reply.ok(response)` or
 * `Reply.error(response)`, sent to the client as `phx_reply`
 * `{status, response}`. A `handleIn` that returns nothing sends no reply
 * (the client's push then times out, as in Phoenix's `:noreply`).
 */

/** The status of a reply. */
export type ReplyStatus = 'ok' | 'error';

/** A reply to a join or a push. */
export class ChannelReply<S extends ReplyStatus = ReplyStatus, R = unknown> {
  readonly status: S;
  readonly response: R;
  constructor(status: S, response: R) {
    this.status = status;
    this.response = response;
  }
}

/** The two reply makers. */
export const Reply = {
  /**
   * An `ok` reply; `response` defaults to `{}`.
   *
   * @example
   * return Reply.ok({ joined_at: Date.now() });
   */
  ok<R = Record<string, never>>(response?: R): ChannelReply<'ok', R> {
    return new ChannelReply('ok', (response ?? {}) as R);
  },
  /**
   * An `error` reply; `response` defaults to `{}`. From `join`, it refuses the join.
   *
   * @example
   * return Reply.error({ reason: 'unauthorized' });
   */
  error<R = Record<string, never>>(response?: R): ChannelReply<'error', R> {
    return new ChannelReply('error', (response ?? {}) as R);
  },
};
