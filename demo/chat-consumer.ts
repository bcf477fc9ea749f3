/**
 * One visitor's connection to a room (`/ws/chat/<room>/`), Django Channels
 * tutorial style: `{"message": text}` in, `{"message", author, time}` out to
 * every member of the room through the `chat_<room>` group. With `events=1`
 * in the query string the client also gets presence frames; slash-commands
 * go to the bot. Chat lines of the room carry their `offset` and `epoch` in
 * the group's history; a client that comes back with
 * `?since_offset=<n>&since_epoch=<e>` gets a `recovery` frame, then every
 * line it missed, then live ones.
 */
import {
  DefaultAction,
  JsonWebsocketConsumer,
  ValidationFailed,
  historyPositionOf,
  routeKwargs,
  sinceFromQuery,
  type PresenceTracker,
  type SwitchyardError,
} from 'switchyard-channels';
import { BOT_CHANNEL, type BotCommand } from './chat-bot';
import { ChatMessageDto } from './message-dto';
import { cleanName, guestName, isRoomName, memberId, roomGroup } from './names';
import type { PresenceFeed } from './presence-feed';
import { toPhoenix } from './room-bridge';
import type { ChatFrame, ErrorFrame, RecoveryFrame } from './protocol';

/** The route this consumer is mounted on (names its kwargs). */
export const CHAT_ROUTE = 'ws/chat/<slug:room>/';

/** Layer events of a room. Only `message` is required: the shell may send just that. */
export type ChatEvents = {
  'chat.message': { message: string; author?: string; time?: string; private?: true };
  'bot.command': Omit<BotCommand, 'type'>;
};

const SLASH_COMMAND = /^\/([a-z][\w-]*)\s*([\s\S]*)$/i;

/** A chat room connection. Give it `presence` and `feed` through `asApp()`. */
export class ChatConsumer extends JsonWebsocketConsumer<ChatEvents> {
  presence!: PresenceTracker;
  feed!: PresenceFeed;
  /** Where slash-commands go. */
  botChannel = BOT_CHANNEL;

  #room = '';
  #group = '';
  #name = '';
  #id = '';
  #unsubscribe: (() => void) | null = null;

  override async connect(): Promise<void> {
    const { room } = routeKwargs<typeof CHAT_ROUTE>(this.scope);
    if (!isRoomName(room)) return this.deny(404, 'no such room: use letters, digits, - and _ (at most 48)');
    const query = new URLSearchParams(this.scope.type === 'websocket' ? this.scope.queryString : '');
    this.#room = room;
    this.#group = roomGroup(room);
    this.#name = cleanName(query.get('name')) ?? guestName();
    this.#id = memberId(this.#name);

    // A malformed since refuses the handshake with 400 (InvalidHistoryPosition).
    const since = sinceFromQuery(this.scope as { queryString: string });
    const join = await this.groupAdd(this.#group, { since });
    await this.accept();
    // Sent before the replay, which runs right after this handler.
    if (since !== null) {
      const frame: RecoveryFrame = { type: 'recovery', recovered: join.recovered, epoch: join.epoch, offset: join.offset };
      await this.sendJson(frame);
    }
    await this.presence.track(this.#group, this.#id, this.channelName, { name: this.#name });
    if (query.get('events') !== '1') return;

    // The state and the subscription in one synchronous step: no change can
    // slip between the list and the first diff.
    void this.sendJson({ type: 'welcome', room, you: { id: this.#id, name: this.#name } });
    void this.sendJson({ type: 'presence.state', members: this.feed.members(room) });
    this.#unsubscribe = this.feed.subscribeRoom(room, (diff) => {
      this.sendJson({ type: 'presence.diff', ...diff }).catch(() => undefined);
    });
  }

  override async disconnect(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    // Before accept (a denied room) nothing was tracked.
    if (this.hasChannelLayer && this.#group !== '') await this.presence.untrackConnection(this.channelName);
  }

  /** `{"message": text}` from the client (the tutorial's only frame). */
  @DefaultAction(ChatMessageDto)
  async chat(dto: ChatMessageDto): Promise<void> {
    const command = SLASH_COMMAND.exec(dto.message);
    if (command !== null) {
      await this.channelSend(this.botChannel, {
        type: 'bot.command',
        command: command[1]!.toLowerCase(),
        args: command[2]!.trim(),
        room: this.#room,
        author: this.#name,
        replyTo: this.channelName,
      });
      return;
    }
    const time = new Date().toISOString();
    await this.groupSend(this.#group, { type: 'chat.message', message: dto.message, author: this.#name, time });
    await toPhoenix(this.channelLayer, this.#room, dto.message, this.#name, time);
  }

  /** A line for this connection: from a member, the bot, or `groupSend` in the shell (which may send only `message`). */
  async chatMessage(event: ChatEvents['chat.message']): Promise<void> {
    if (typeof event.message !== 'string') return;
    const frame: ChatFrame = {
      type: 'chat.message',
      message: event.message,
      author: typeof event.author === 'string' && event.author !== '' ? event.author : 'shell',
      time: typeof event.time === 'string' ? event.time : new Date().toISOString(),
    };
    if (event.private === true) frame.private = true;
    const at = historyPositionOf(event);
    if (at !== null) {
      frame.offset = at.offset;
      frame.epoch = at.epoch;
    }
    await this.sendJson(frame);
  }

  /** The framework's error frame, with the failed constraints spelled out in `detail` for the page to show as is. */
  override async sendError(error: SwitchyardError): Promise<void> {
    const frame: ErrorFrame = { type: 'error', code: error.code, detail: error.message };
    if (error instanceof ValidationFailed) {
      frame.errors = error.failures;
      frame.detail = error.failures.map((f) => f.message).join('; ');
    }
    await this.sendJson(frame);
  }
}
