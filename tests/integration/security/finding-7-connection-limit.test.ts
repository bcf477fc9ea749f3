/**
 * Finding 7 of the security review: connection exhaustion. A per-client
 * address limit (default on) refuses a client's handshakes past
 * `maxConnectionsPerAddress` with 429, honours X-Forwarded-For only from
 * configured proxies, and logs once per address and episode.
 */
import { addressKeyOf } from '../../../src/server/address-limit';
import { resolveServerOptions } from '../../../src/server/options';
import { closeAll, connectClient, echoApp, startServer, tryConnect, type TestClient } from '../../helpers';

afterEach(closeAll);

async function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const outcome = await tryConnect(url, { headers });
  if (outcome.ok) {
    outcome.client.ws.close();
    return 101;
  }
  return outcome.status;
}

describe('finding 7: per-client-address connection limit', () => {
  it('is on by default with a finite limit, and can be lifted', () => {
    expect(resolveServerOptions().maxConnectionsPerAddress).toBe(128);
    expect(resolveServerOptions({ maxConnectionsPerAddress: Infinity }).maxConnectionsPerAddress).toBe(Infinity);
    expect(() => resolveServerOptions({ maxConnectionsPerAddress: 0 })).toThrow(/maxConnectionsPerAddress/);
    expect(() => resolveServerOptions({ trustedProxies: 'x' as never })).toThrow(/trustedProxies/);
  });

  it('refuses one address past the limit with 429, logs once per episode, and frees the slot when a connection closes', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const server = await startServer(echoApp, { maxConnectionsPerAddress: 3 });
      const url = `${server.url}/ws/`;
      const held: TestClient[] = [];
      for (let i = 0; i < 3; i++) held.push(await connectClient(url));
      for (let i = 0; i < 5; i++) expect(await refusedStatus(url)).toBe(429);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toContain('127.0.0.1 reached maxConnectionsPerAddress (3)');

      await held.pop()!.close();
      held.push(await connectClient(url));
      expect(await refusedStatus(url)).toBe(429);
      expect(warn).toHaveBeenCalledTimes(1); // same episode: the address never dropped to zero

      await Promise.all(held.splice(0).map((client) => client.close()));
      for (let i = 0; i < 3; i++) held.push(await connectClient(url));
      expect(await refusedStatus(url)).toBe(429);
      expect(warn).toHaveBeenCalledTimes(2); // a new episode is logged again
    } finally {
      warn.mockRestore();
    }
  });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const direct = await startServer(echoApp, { maxConnectionsPerAddress: 1 });
      await connectClient(`${direct.url}/ws/`, { headers: { 'X-Forwarded-For': '10.0.0.1' } });
      expect(await refusedStatus(`${direct.url}/ws/`, { 'X-Forwarded-For': '10.0.0.2' })).toBe(429);

      const proxied = await startServer(echoApp, { maxConnectionsPerAddress: 1, trustedProxies: ['127.0.0.1'] });
      const url = `${proxied.url}/ws/`;
      await connectClient(url, { headers: { 'X-Forwarded-For': '10.0.0.1' } });
      // A forged left-most entry does not help: the right-most untrusted hop is the client.
      await connectClient(url, { headers: { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' } });
      expect(await refusedStatus(url, { 'X-Forwarded-For': '10.0.0.9, 10.0.0.1' })).toBe(429);
      expect(await refusedStatus(url, { 'X-Forwarded-For': '10.0.0.3' })).toBe(101);
    } finally {
      warn.mockRestore();
    }
  });

  it('counts IPv6 clients by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKeyOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(addressKeyOf('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressKeyOf('10.1.2.3')).toBe('10.1.2.3');
  });
});
