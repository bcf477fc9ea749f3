/**
 * Security-review findings as they show on the demo: no stack traces or
 * machine paths in error responses (finding 6), connection limits (finding 7).
 */
import { closeChannelLayers, configureChannelLayers } from 'switchyard-channels';
import { createDemo, type Demo } from '../../demo/create-demo';
import { closeAll, connectClient, tryConnect } from '../helpers';
import { wsBase } from './demo-clients';

let demo: Demo;

beforeAll(async () => {
  configureChannelLayers({ default: 'memory://' });
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
