/**
 * The bot as a separate worker process (Django's runworker):
 *
 *   CHANNEL_LAYER_URL=redis://127.0.0.1:6379/0 npx switchyard worker demo/bot.ts chat-bot
 *
 * Every demo process also runs the bot itself (unless --no-bot); workers on a
 * shared layer read the channel in turn, so any number can run. The worker
 * keeps its own presence tracker, which learns every process's members from
 * its peers, to answer /who.
 */
import { NoChannelLayer, PresenceTracker, getChannelLayer } from 'switchyard-channels';
import { createBotApplication } from './chat-bot';

// `switchyard worker` configures the layer from the environment before loading this module.
const layer = getChannelLayer();
if (layer === null) throw new NoChannelLayer('demo/bot.ts');

/** The tracker the bot reads `/who` from. */
export const presence = new PresenceTracker(layer);

/** What `switchyard worker demo/bot.ts` runs: a ChannelNameRouter for the `chat-bot` channel. */
export const application = createBotApplication(presence);
