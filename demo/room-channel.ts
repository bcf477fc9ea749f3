/**
 * The chat room over Phoenix Channels: what the room page speaks through
 * phoenix.js. Its public protocol (docs/demo.md):
 *
 * - endpoint `/socket`, `new Socket('/socket', {params: {name}})`; a socket
 *   without a usable `name` is refused at connect (HTTP 403);
 * - topic `room:<room>` for every room name the demo accepts; any other
 *   `room:` topic gets an error reply with a string `reason`;
 * - `push('new_msg', {body})`: a string body of 1 to 2000 characters
 *   (trimmed) is answered `ok` and every member of the topic, the sender
 *   included, gets `new_msg` `{body, name, time}`; anything else is answered
 *   `error` `{reason, errors}` and the channel stays joined; a body starting
 *   with `/` goes to the bot, whose answer comes back to the sender alone as
 *   `new_msg` with `private: true`;
 * - Phoenix Presence keyed by name, meta `{name}`;
 * - the bridge: a line sent on the tutorial endpoint `/ws/chat/<room>/`
 *   reaches `room:<room>` as `new_msg`, and a `new_msg` reaches the tutorial
 *   clients as `{message: body, author: name, time}` (room-bridge.ts);
 * - recovery (history.ts): every broadcast `new_msg` carries `offset` (an
 *   integer, +1 per message within an epoch) and `epoch` (a string); a join
 *   with `{since: {offset, epoch}}` first gets, as `new_msg` and in order,
 *   every message after `offset` that history holds, then live ones, none
 *   twice; a join without `since` gets the newest 50 that way; the join reply
 *   adds `recovered`, `epoch` and `offset` (the room's latest). A malformed
 *   `since` is refused with `{reason, code}`.
 */
import {
  Channel,
  NoChannelLayer,
  PhoenixPresence,
  Reply,
  ValidationFailed,
  channel,
  phoenixSocket,
  sinceFromPayload,
  validateDto,
  getChannelLayer,
  type Application,
  type ChannelLayer,
  type EventArgs,
  type PresenceTracker,
} from 'switchyard-channels';
import { BOT_CHANNEL } from './chat-bot';
import { ChatMessageDto } from './message-dto';
import { cleanName, isRoomName, roomGroup, roomOfGroup } from './names';
import { toTutorial } from './room-bridge';
import { NEWCOMER_MESSAGES } from './history';

/** What a room page pushes. */
export type RoomIn = { new_msg: { body: unknown } };
/**
 * What a room page gets. A broadcast `new_msg` has `offset` and `epoch` added
 * on the way out (its place in the room's history); a private one has neither.
 */
export type RoomOut = { new_msg: { body: string; name: string; time: string; private?: true; offset?: number; epoch?: string } };
/** The socket's assigns. */
export type RoomAssigns = { name: string };

const TOPIC_PREFIX = 'room:';
const SLASH_COMMAND = /^\/([a-z][\w-]*)\s*([\s\S]*)$/i;

/** The room of a `room:<room>` topic, or null. */
export function roomOfTopic(topic: string): string | null {
  if (!topic.startsWith(TOPIC_PREFIX)) return null;
  const room = topic.slice(TOPIC_PREFIX.length);
  return isRoomName(room) ? room : null;
}

/** The Phoenix socket of the demo, with `presence` for "here now" on the tracker groups the lobby counts. */
export function createRoomSocket(tracker: PresenceTracker, layerAlias: string, botChannel = BOT_CHANNEL): Application {
  // Room topics share the tracker groups of the tutorial endpoint (`chat_<room>`):
  // one "here now" list and one lobby count, whichever endpoint a visitor uses.
  const presence = new PhoenixPresence(tracker, {
    layer: layerAlias,
    groupOf: (topic) => roomGroup(roomOfTopic(topic) ?? topic.slice(TOPIC_PREFIX.length)),
    topicOf: (group) => {
      const room = roomOfGroup(group);
      return room === null ? null : TOPIC_PREFIX + room;
    },
  });

  class RoomChannel extends Channel<RoomIn, RoomOut, RoomAssigns> {
    #room = '';

    override join(topic: string, payload: unknown) {
      const room = roomOfTopic(topic);
      if (room === null) return Reply.error({ reason: 'no such room: use letters, digits, - and _ (at most 48)' });
      // What the client missed since its last position, or a newcomer's backlog; the reply gets recovered/epoch/offset.
      this.recoverHistory({ since: sinceFromPayload(payload), last: NEWCOMER_MESSAGES });
      this.#room = room;
      return Reply.ok({ room, name: this.socket.assigns.name });
    }

    override async afterJoin() {
      const name = this.socket.assigns.name;
      await presence.track(this, name, { name });
      await presence.pushState(this);
    }

    override async handleIn(...[event, payload]: EventArgs<RoomIn>) {
      if (event !== 'new_msg') return Reply.error({ reason: `unknown event ${JSON.stringify(event)}` });
      let body: string;
      try {
        body = (await validateDto(ChatMessageDto, { message: (payload as { body?: unknown } | null)?.body })).message;
      } catch (error) {
        if (!(error instanceof ValidationFailed)) throw error;
        return Reply.error({ reason: error.failures.map((f) => f.message).join('; '), errors: error.failures });
      }
      const name = this.socket.assigns.name;
      const command = SLASH_COMMAND.exec(body);
      if (command !== null) {
        await layerOf(layerAlias).send(botChannel, {
          type: 'bot.command',
          command: command[1]!.toLowerCase(),
          args: command[2]!.trim(),
          room: this.#room,
          author: name,
          replyTo: this.socket.channelName,
        });
        return Reply.ok();
      }
      const time = new Date().toISOString();
      await this.broadcast('new_msg', { body, name, time });
      await toTutorial(layerOf(layerAlias), this.#room, body, name, time);
      return Reply.ok();
    }

    /** The bot's answer, sent to this socket's channel. */
    override async handleInfo(message: any) {
      if (message?.type !== 'chat.message' || typeof message.message !== 'string') return;
      await this.push('new_msg', {
        body: message.message,
        name: typeof message.author === 'string' ? message.author : 'bot',
        time: typeof message.time === 'string' ? message.time : new Date().toISOString(),
        ...(message.private === true ? { private: true as const } : {}),
      });
    }
  }

  return phoenixSocket<RoomAssigns>({
    connect(params) {
      const name = cleanName(params.name);
      return name === null ? false : { name };
    },
    channels: [channel('room:*', RoomChannel)],
    layerAlias,
    longpoll: false,
  });
}

function layerOf(alias: string): ChannelLayer {
  const layer = getChannelLayer(alias);
  if (layer === null) throw new NoChannelLayer(`the room socket (layer alias ${JSON.stringify(alias)})`);
  return layer;
}
