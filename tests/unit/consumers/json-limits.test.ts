/**
 * Findings 2 and 3 of the security review: the work per JSON frame is bounded
 * before transformation and validation (keys, depth, array length, values),
 * and a frame over a bound gets an error frame while the connection stays.
 */
import { IsString, MaxLength } from 'class-validator';
import { DefaultAction } from '../../../src/consumers/decorators';
import { validateDto } from '../../../src/consumers/dto-validation';
import { checkJsonLimits, JSON_LIMIT_DEFAULTS, resolveJsonLimits } from '../../../src/consumers/json-limits';
import { JsonWebsocketConsumer } from '../../../src/consumers/json-websocket-consumer';
import { InvalidOption, JsonLimitExceeded } from '../../../src/errors';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';

class MessageDto {
  @IsString()
  @MaxLength(100_000)
  message!: string;
}

const handled: string[] = [];

class Chat extends JsonWebsocketConsumer {
  static override channelLayerAlias = 'none';
  @DefaultAction(MessageDto)
  async say(dto: MessageDto) {
    handled.push(dto.message);
    await this.sendJson({ echo: dto.message });
  }
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

async function connected(app = Chat.asApp()): Promise<WebsocketCommunicator> {
  const comm = new WebsocketCommunicator(app, '/');
  expect((await comm.connect()).connected).toBe(true);
  return comm;
}

beforeEach(() => {
  handled.length = 0;
});

describe('finding 2: validation cost is bounded before validation', () => {
  it('a wide object (5 000 keys) gets ERR_JSON_LIMIT before any transformation, and the connection stays', async () => {
    const comm = await connected();
    const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`).join(',');
    await comm.sendTo({ text: `{"message":"w",${keys}}` });
    expect(await comm.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'ERR_JSON_LIMIT',
      detail: expect.stringContaining('maxKeys 256'),
    });
    expect(handled).toEqual([]);
    await comm.sendJsonTo({ message: 'still here' });
    expect(await comm.receiveJsonFrom()).toEqual({ echo: 'still here' });
    await comm.disconnect();
  });

  it('a long array and too many values in all are refused the same way', async () => {
    const comm = await connected();
    await comm.sendJsonTo({ message: 'a', list: Array.from({ length: 4097 }, () => 0) });
    expect(await comm.receiveJsonFrom()).toMatchObject({ code: 'ERR_JSON_LIMIT', detail: expect.stringContaining('maxArrayLength') });
    const many = Array.from({ length: 40 }, () => Array.from({ length: 300 }, () => 1));
    await comm.sendJsonTo({ message: 'b', many });
    expect(await comm.receiveJsonFrom()).toMatchObject({ code: 'ERR_JSON_LIMIT', detail: expect.stringContaining('maxValues') });
    expect(handled).toEqual([]);
    await comm.disconnect();
  });

  it('limits are configurable per consumer class; Infinity lifts one', async () => {
    class Wide extends Chat {
      static override jsonLimits = { maxKeys: Infinity, maxValues: Infinity };
    }
    const comm = await connected(Wide.asApp());
    const wide: Record<string, unknown> = { message: 'wide' };
    for (let i = 0; i < 1000; i++) wide[`k${i}`] = i;
    await comm.sendJsonTo(wide);
    expect(await comm.receiveJsonFrom()).toEqual({ echo: 'wide' });
    await comm.disconnect();
    expect(() => resolveJsonLimits({ maxDepth: 0 }, 'X.jsonLimits')).toThrow(InvalidOption);
    expect(() => resolveJsonLimits({ maxKeys: 1.5 }, 'X.jsonLimits')).toThrow('X.jsonLimits.maxKeys');
  });

  it('validateDto checks the limits itself for direct callers', async () => {
    const wide: Record<string, unknown> = { message: 'x' };
    for (let i = 0; i < 300; i++) wide[`k${i}`] = i;
    await expect(validateDto(MessageDto, wide)).rejects.toBeInstanceOf(JsonLimitExceeded);
    await expect(validateDto(MessageDto, wide, null)).resolves.toEqual({ message: 'x' });
  });
});

describe('finding 3: deep nesting gets an error frame, not a crash', () => {
  it('2 000 levels of arrays in an unknown field: ERR_JSON_LIMIT, no close, the next message is handled', async () => {
    const comm = await connected();
    await comm.sendTo({ text: `{"message":"d","x":${nested(2000)}}` });
    expect(await comm.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'ERR_JSON_LIMIT',
      detail: expect.stringContaining('maxDepth 32'),
    });
    await comm.sendJsonTo({ message: 'after' });
    expect(await comm.receiveJsonFrom()).toEqual({ echo: 'after' });
    await comm.disconnect();
  });

  it('the check is iterative: a million levels built in memory do not overflow the stack', () => {
    let deep: unknown[] = [];
    const top = deep;
    for (let i = 0; i < 1_000_000; i++) {
      const next: unknown[] = [];
      deep.push(next);
      deep = next;
    }
    expect(() => checkJsonLimits(top, { ...JSON_LIMIT_DEFAULTS, maxDepth: Infinity, maxValues: Infinity })).not.toThrow();
    expect(() => checkJsonLimits(top)).toThrow(JsonLimitExceeded);
  });

  it('exactly at the bounds passes', () => {
    const atDepth = JSON.parse(nested(32));
    expect(() => checkJsonLimits(atDepth)).not.toThrow();
    expect(() => checkJsonLimits(JSON.parse(nested(33)))).toThrow('maxDepth');
    const keys: Record<string, number> = {};
    for (let i = 0; i < 256; i++) keys[`k${i}`] = i;
    expect(() => checkJsonLimits(keys)).not.toThrow();
    expect(() => checkJsonLimits({ ...keys, one: 1 })).toThrow('maxKeys');
  });
});
