/**
 * The README's ten-line consumer must stay true: this test takes the code
 * block verbatim from README.md, type-checks it against the public API (tsc
 * over tests/docs/readme-example.ts, which must equal the block) and runs it
 * with `serve` replaced, so the consumer is exercised without a port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemoryChannelLayer, closeChannelLayers, configureChannelLayers, type Application } from 'switchyard-channels';
import { WebsocketCommunicator } from 'switchyard-channels/testing';

const served: Array<{ app: Application; options: unknown }> = [];
jest.mock('switchyard-channels', () => {
  const actual = jest.requireActual('switchyard-channels');
  return {
    ...actual,
    serve: (app: Application, options: unknown) => {
      served.push({ app, options });
      return Promise.resolve(undefined);
    },
  };
});

const root = join(__dirname, '..', '..');

function readmeBlock(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match = /## A consumer in ten lines\s+```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no "A consumer in ten lines" ts block');
  return match[1]!;
}

describe('README consumer example', () => {
  afterEach(() => closeChannelLayers());

  it('is the same code as tests/docs/readme-example.ts (which tsc type-checks)', () => {
    const file = readFileSync(join(__dirname, 'readme-example.ts'), 'utf8');
    const body = file.slice(file.indexOf('import '));
    expect(body.trimEnd()).toBe(readmeBlock().trimEnd());
  });

  it('has at most ten lines of consumer code', () => {
    const lines = readmeBlock().split('\n').filter((line) => line.trim() !== '' && !line.startsWith('import '));
    expect(lines.length).toBeLessThanOrEqual(10);
  });

  it('serves a router whose chat consumer broadcasts to everyone in the room', async () => {
    configureChannelLayers({ default: new InMemoryChannelLayer() });
    require('./readme-example');
    expect(served).toHaveLength(1);
    expect(served[0]!.options).toEqual({ port: 8000 });
    const app = served[0]!.app;

    const ann = new WebsocketCommunicator(app, '/ws/chat/lobby/');
    const bob = new WebsocketCommunicator(app, '/ws/chat/lobby/');
    const eve = new WebsocketCommunicator(app, '/ws/chat/attic/');
    for (const comm of [ann, bob, eve]) expect(await comm.connect()).toMatchObject({ connected: true });

    await ann.sendJsonTo({ message: 'hello' });
    expect(await ann.receiveJsonFrom()).toEqual({ message: 'hello' });
    expect(await bob.receiveJsonFrom()).toEqual({ message: 'hello' });
    expect(await eve.receiveNothing()).toBe(true);

    for (const comm of [ann, bob, eve]) await comm.disconnect();
  });
});
