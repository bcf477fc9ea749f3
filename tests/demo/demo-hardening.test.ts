/**
 * Security-review findings as they show on the demo: no stack traces or
 * machine paths in error responses (finding 6), connection limits (finding 7),
 * lobby updates as changes at a capped rate (finding 8).
 */
import { closeChannelLayers, configureChannelLayers } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { demoLayerConfig } from '../../demo/history';
import { closeAll, connectClient, tryConnect } from '../helpers';
import { roomGroup } from '../../demo/names';
import { nextFrame, wsBase, type Frame } from './demo-clients';

let demo: Demo;

beforeAll(async () => {
  configureChannelLayers({ default: demoLayerConfig('memory://') });
  demo = await createDemo({ port: 0, bot: false });
});
afterEach(closeAll);
afterAll(async () => {
  await demo?.close();
  await closeChannelLayers();
  configureChannelLayers(null);
});

/** True when `text` looks like it carries a stack trace or a path of this machine. */
function leaks(text: string): boolean {
  return /\bat .+\(|\n\s+at |URIError|node_modules|\/work\/|\/home\/|\/usr\//.test(text) || text.includes(process.cwd());
}

describe('finding 6: error responses carry no stack trace or machine path', () => {
  it.each(['/chat/%ZZ/', '/chat/%E0%A4%A/', '/static/%ZZ', '/api/rooms/%'])('GET %s answers 400 with the status text only', async (path) => {
    const response = await fetch(`${demo.url}${path}`);
    const body = await response.text();
    expect(leaks(body)).toBe(false);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    if (path.startsWith('/chat/')) expect(body).toBe('Bad Request\n');
  });
});

describe('finding 7: the demo limits connections per client address', () => {
  it('refuses the 33rd connection from one address with 429', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const url = `${wsBase(demo.url)}/ws/lobby/`;
      const headers = { Origin: demo.url };
      for (let i = 0; i < 32; i++) await connectClient(url, { headers });
      const refused = await tryConnect(url, { headers });
      expect(refused.ok ? 101 : refused.status).toBe(429);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
    expect(demo.server.connectionCount).toBeLessThanOrEqual(32);
  });
});

describe('finding 8: the lobby sends changes, not whole lists, at a capped rate', () => {
  it('a diff viewer gets the list once, then only the rooms that changed; both kinds of update are rate-capped per viewer', async () => {
    const diffTimes: number[] = [];
    const listTimes: number[] = [];
    const stopDiffs = demo.feed.subscribeLobbyChanges(() => diffTimes.push(Date.now()));
    const stopLists = demo.feed.subscribeLobby(() => listTimes.push(Date.now()));
    const viewer = await connectClient(`${wsBase(demo.url)}/ws/lobby/?diff=1`, { headers: { Origin: demo.url } });
    const ROOMS = 200;
    try {
      expect(await viewer.nextJson()).toMatchObject({ type: 'rooms' });
      // One visitor in 200 rooms (what an attacker joining rooms in a loop does to the counts).
      await Promise.all(Array.from({ length: ROOMS }, (_, i) => demo.presence.track(roomGroup(`wide-${i}`), 'ghost', 'ghost-conn')));
      const seen = new Set<string>();
      while (seen.size < ROOMS) {
        const frame = await nextFrame(viewer, (f) => f.type === 'rooms.diff', 'a rooms.diff');
        for (const { room } of frame.changed as Array<{ room: string }>) if (room.startsWith('wide-')) seen.add(room);
      }
      // One more room: the next update names that room only, not the 200 others.
      await demo.presence.track(roomGroup('solo'), 'ghost', 'ghost-conn');
      expect(await nextFrame(viewer, (f) => f.type === 'rooms.diff', 'the diff for solo')).toEqual({
        type: 'rooms.diff',
        changed: [{ room: 'solo', count: 1 }],
      });
      await demo.presence.untrack(roomGroup('solo'), 'ghost', 'ghost-conn');
      const gone: Frame = await nextFrame(viewer, (f) => f.type === 'rooms.diff', 'the diff for solo leaving');
      expect(gone).toEqual({ type: 'rooms.diff', changed: [{ room: 'solo', count: 0 }] });
      // Churn: leave and join all 200 rooms a few times; every update is rate-capped.
      for (let round = 0; round < 3; round++) {
        await demo.presence.untrackConnection('ghost-conn');
        await Promise.all(Array.from({ length: ROOMS }, (_, i) => demo.presence.track(roomGroup(`wide-${i}`), 'ghost', 'ghost-conn')));
      }
      await demo.presence.untrackConnection('ghost-conn');
      await nextFrame(viewer, (f) => f.type === 'rooms.diff' && (f.changed as Array<{ room: string; count: number }>).some((r) => r.room === 'wide-0' && r.count === 0), 'wide-0 empty again');
    } finally {
      stopDiffs();
      stopLists();
    }
    const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] as number));
    expect(diffTimes.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps(diffTimes)) expect(gap).toBeGreaterThanOrEqual(249);
    for (const gap of gaps(listTimes)) expect(gap).toBeGreaterThanOrEqual(999);
  });
});
