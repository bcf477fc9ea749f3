import express from 'express';
import { announceRouter } from './announce-route';

/** The express app you already have: its routes, its middleware, its static files. */
export const web = express();
web.use(express.json());
web.get('/api/health', (_req, res) => void res.json({ ok: true }));
web.use('/api', announceRouter);
