import { Router } from 'express';
import { getChannelLayer } from 'switchyard-channels';

const ROOM = /^[\w-]{1,64}$/;

/** `POST /api/rooms/:room/announce {"text": "..."}`: a line from the server to everyone in the room. */
export const announceRouter = Router();

announceRouter.post('/rooms/:room/announce', async (req, res) => {
  const { room } = req.params;
  const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
  if (!ROOM.test(room) || !text) return void res.status(400).json({ error: 'a room name and a non-empty text' });
  const layer = getChannelLayer();
  if (!layer) return void res.status(503).json({ error: 'no channel layer configured' });
  // Express 5 passes a rejection (LayerUnavailable while Redis is down) to the error handler.
  const { dropped } = await layer.groupSend(`chat_${room}`, { type: 'chat.message', message: `[announcement] ${text}` });
  res.status(202).json({ dropped });
});
