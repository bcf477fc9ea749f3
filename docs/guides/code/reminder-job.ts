import { getChannelLayer } from 'switchyard-channels';

/** What the queue hands the worker: plain JSON, as every job queue stores it. */
export interface ReminderJob {
  data: { room: string; text: string };
}

/**
 * A queue worker's handler (BullMQ's `new Worker(name, remind)`, a cron tick, a
 * message from SQS...). It runs in any process that shares the channel layer
 * with the servers: with Redis, a separate worker process reaches every room.
 */
export async function remind(job: ReminderJob): Promise<number> {
  const layer = getChannelLayer();
  if (!layer) throw new Error('set CHANNEL_LAYER_URL: a worker without a shared layer reaches no one');
  const { dropped } = await layer.groupSend(`chat_${job.data.room}`, { type: 'chat.message', message: `[reminder] ${job.data.text}` });
  return dropped;
}
