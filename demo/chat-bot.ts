/**
 * The room bot: a worker consumer reading the `chat-bot` channel. The chat
 * consumer forwards slash-commands to it with `layer.send`; it answers the
 * sender alone (a private chat frame) through the sender's channel, which
 * works from any process on a shared layer.
 */
import { AsyncConsumer, ChannelNameRouter, type Application, type PresenceTracker } from 'switchyard-channels';
import { isRoomName, roomGroup, roomOfGroup } from './names';
import { toRoomMember } from './presence-feed';

/** The channel the bot reads. */
export const BOT_CHANNEL = 'chat-bot';

/** What the chat consumer sends to the bot for `/command args`. */
export interface BotCommand {
  type: 'bot.command';
  /** Lower-cased, without the slash. */
  command: string;
  args: string;
  room: string;
  author: string;
  /** The asking connection's channel: the answer goes there. */
  replyTo: string;
}

type BotEvents = {
  'bot.command': Omit<BotCommand, 'type'>;
  'chat.message': { message: string; author: string; time: string; private: true };
};

const HELP = [
  'Commands: /help shows this, /who lists who is here, /rooms lists the rooms with people in them.',
  "Anything else you type is sent to everyone in the room. Try the shell too: npm run demo -- --repl, then await groupSend('chat_lobby', {type: 'chat.message', message: 'hi'}).",
].join(' ');

const MAX_LISTED = 50;

function listNames(names: string[]): string {
  const shown = names.slice(0, MAX_LISTED).join(', ');
  return names.length > MAX_LISTED ? `${shown} and ${names.length - MAX_LISTED} more` : shown;
}

/**
 * Answers `/help`, `/who` and `/rooms`; anything else gets a hint. Needs a
 * presence tracker (given through `asApp({ presence })`) for `/who` and
 * `/rooms`.
 */
export class ChatBot extends AsyncConsumer<BotEvents> {
  presence!: PresenceTracker;

  async botCommand(event: BotCommand): Promise<void> {
    if (typeof event.replyTo !== 'string' || !isRoomName(event.room)) return;
    await this.channelSend(event.replyTo, {
      type: 'chat.message',
      message: this.answer(event),
      author: 'bot',
      time: new Date().toISOString(),
      private: true,
    });
  }

  /** The text of the answer to `event`. */
  answer(event: BotCommand): string {
    switch (event.command) {
      case 'help':
        return HELP;
      case 'who': {
        const members = this.presence.list(roomGroup(event.room)).map(toRoomMember);
        if (members.length === 0) return `Nobody is in #${event.room} right now.`;
        const names = members
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((m) => (m.connections > 1 ? `${m.name} (${m.connections} tabs)` : m.name));
        return `${members.length} in #${event.room}: ${listNames(names)}.`;
      }
      case 'rooms': {
        const rooms = this.presence.groups().flatMap((group) => {
          const room = roomOfGroup(group);
          const count = this.presence.list(group).length;
          return room !== null && count > 0 ? [`#${room} (${count})`] : [];
        });
        return rooms.length === 0 ? 'No room has anyone in it.' : `Rooms: ${listNames(rooms)}.`;
      }
      default:
        return `I don't know /${event.command}. Try /help.`;
    }
  }
}

/**
 * The bot as a worker application: a ChannelNameRouter reading BOT_CHANNEL,
 * answering through the layer registered as `layerAlias`.
 */
export function createBotApplication(presence: PresenceTracker, layerAlias = 'default'): Application {
  const Bot = layerAlias === ChatBot.channelLayerAlias ? ChatBot : class extends ChatBot {
    static override channelLayerAlias = layerAlias;
  };
  return ChannelNameRouter({ [BOT_CHANNEL]: Bot.asApp({ presence }) });
}
