/**
 * The nginx configuration of the deployment guide, run for real: nginx (the
 * Debian package) with docs/guides/code/nginx.conf, only its ports changed, in
 * front of two processes of the tutorial's server on one Redis (a key prefix
 * of its own). Checks plain HTTP and WebSocket handshakes through the proxy
 * and a message that crosses the two processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { RedisChannelLayer } from '../../src/layers/redis/redis-channel-layer';
import { closeAll, connectClient, type TestClient } from '../helpers';
import { ROOT, cleanEnv, spawnNode, stopAll, type Child } from '../demo/processes';
import { redisLayerUrl } from '../demo/redis-url';
import { stopChild } from '../helpers/stop-child';

jest.setTimeout(120_000);
// A tsx child compiles the sources on start: on a loaded two-core machine that alone
// has taken over 30 s, so startup gets a bound of its own (message round trips keep theirs).
const STARTUP_MS = 60_000;

const NGINX = process.env.NGINX_PATH || '/usr/sbin/nginx';
const CONFIG = path.join(ROOT, 'docs', 'guides', 'code', 'nginx.conf');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The guide's file with the ports of this run; fails if the lines it replaces have moved. */
function configFor(listen: number, upstreams: number[]): string {
  let text = readFileSync(CONFIG, 'utf8');
  const replace = (from: string, to: string): void => {
    expect(text).toContain(from);
    text = text.replace(from, to);
  };
  replace('listen 80;', `listen 127.0.0.1:${listen};`);
  replace('server 127.0.0.1:8001;', `server 127.0.0.1:${upstreams[0]};`);
  replace('server 127.0.0.1:8002;', `server 127.0.0.1:${upstreams[1]};`);
  return text;
}

async function said(from: TestClient, message: string, ...to: TestClient[]): Promise<unknown[]> {
  from.sendJson({ message });
  return Promise.all(to.map((client) => client.nextJson()));
}

describe('the nginx configuration of the deployment guide', () => {
  let dir = '';
  afterEach(async () => {
    await closeAll();
    await stopAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('proxies HTTP and WebSockets to two processes that share rooms through Redis', async () => {
    if (!existsSync(NGINX)) {
      throw new Error(`nginx is not installed at ${NGINX}: run \`apt-get install -y nginx-light\` (scripts/ci-prepare.sh installs it), or set NGINX_PATH`);
    }
    const { url: layerUrl, prefix } = redisLayerUrl('nginx');
    const env = cleanEnv({ CHANNEL_LAYER_URL: layerUrl, PORT: '0' });
    let nginx: ChildProcess | null = null;
    try {
      const servers: Child[] = [0, 1].map(() =>
        spawnNode(['--import', 'tsx', path.join(ROOT, 'docs', 'tutorial', 'code', 'step2', 'server.ts')], env),
      );
      const hosts = await Promise.all(servers.map((child) => child.waitFor(/chat listening on http:\/\/(\S+)/, STARTUP_MS)));
      const ports = hosts.map((host) => Number(host.split(':')[1]));

      dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-nginx-'));
      const listen = await freePort();
      writeFileSync(path.join(dir, 'chat.conf'), configFor(listen, ports));
      // A minimal main file around the guide's file, all state in the temporary directory.
      writeFileSync(
        path.join(dir, 'nginx.conf'),
        [
          'daemon off;',
          'master_process off;',
          `pid ${dir}/nginx.pid;`,
          `error_log ${dir}/error.log warn;`,
          'events { worker_connections 64; }',
          'http {',
          '  access_log off;',
          ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
          `  include ${dir}/chat.conf;`,
          '}',
        ].join('\n'),
      );
      const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', `${dir}/nginx.conf`, '-e', `${dir}/error.log`], { encoding: 'utf8' });
      expect(`${check.status} ${check.stderr}`).toMatch(/^0 .*syntax is ok/s);

      nginx = spawn(NGINX, ['-p', dir, '-c', `${dir}/nginx.conf`, '-e', `${dir}/error.log`], { stdio: 'ignore' });
      const base = `127.0.0.1:${listen}`;
      // nginx is up once it answers; bounded in count and time.
      let page: Response | null = null;
      for (let attempt = 0; attempt < 100 && page === null; attempt++) {
        page = await fetch(`http://${base}/`).catch(() => new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)));
      }
      expect(page?.status).toBe(200);
      expect(await page!.text()).toContain('/ws/chat/');

      const viaProxy = [await connectClient(`ws://${base}/ws/chat/lobby/`), await connectClient(`ws://${base}/ws/chat/lobby/`)];
      const direct = await Promise.all(hosts.map((host) => connectClient(`ws://${host}/ws/chat/lobby/`)));
      const everyone = [...viaProxy, ...direct];
      // Whichever process the proxied client landed on, both processes' members hear it.
      expect(await said(viaProxy[0]!, 'through nginx', ...everyone)).toEqual(everyone.map(() => ({ message: 'through nginx' })));
      expect(await said(direct[1]!, 'back', ...everyone)).toEqual(everyone.map(() => ({ message: 'back' })));
    } finally {
      if (nginx) await stopChild(nginx, 5_000);
      const layer = new RedisChannelLayer({ url: process.env.REDIS_URL || 'redis://127.0.0.1:6379', prefix });
      await layer.flush();
      await layer.close();
    }
  });
});
