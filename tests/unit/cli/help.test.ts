import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAIN_HELP, SERVE_HELP, SHELL_HELP, WORKER_HELP } from '../../../src/cli/help';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('CLI help', () => {
  it('names only example files of this repository that exist', () => {
    const named = [MAIN_HELP, SERVE_HELP, SHELL_HELP, WORKER_HELP]
      .join('\n')
      .match(/\b(?:demo|tests|bench|src)\/[\w./-]+\.(?:ts|js)\b/g);
    const ours = named ?? [];
    expect(ours).toContain('demo/bot.ts');
    expect(ours.filter((file) => !fs.existsSync(path.join(ROOT, file)))).toEqual([]);
  });

  it('the worker example reads a channel the demo bot serves', () => {
    const channel = /worker demo\/bot\.ts (\S+)/.exec(WORKER_HELP)?.[1];
    expect(fs.readFileSync(path.join(ROOT, 'demo', 'chat-bot.ts'), 'utf8')).toContain(`BOT_CHANNEL = '${channel}'`);
  });
});
