import { Transform, Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { CloseCode } from '../../../src/close-codes';
import { Action, DefaultAction } from '../../../src/consumers/decorators';
import { JsonWebsocketConsumer } from '../../../src/consumers/json-websocket-consumer';
import { WebsocketCommunicator } from '../../../src/testing/websocket-communicator';
import { closeChannelLayers, configureChannelLayers } from '../../../src/layers/registry';

afterAll(async () => {
  await closeChannelLayers();
  configureChannelLayers(null);
});

class EchoJson extends JsonWebsocketConsumer {
  static override channelLayerAlias = 'none';
  override async receiveJson(content: unknown) {
    await this.sendJson({ got: content });
  }
}

async function connected(app: ReturnType<typeof EchoJson.asApp>): Promise<WebsocketCommunicator> {
  const comm = new WebsocketCommunicator(app, '/');
  expect((await comm.connect()).connected).toBe(true);
  return comm;
}

describe('JsonWebsocketConsumer encoding', () => {
  it('decodes text frames and encodes replies', async () => {
    const comm = await connected(EchoJson.asApp());
    await comm.sendJsonTo({ a: [1, 'two', null] });
    expect(await comm.receiveJsonFrom()).toEqual({ got: { a: [1, 'two', null] } });
    await comm.disconnect();
  });

  it('sendJson(content, true) closes after sending', async () => {
    class Once extends EchoJson {
      override async receiveJson(content: unknown) {
        await this.sendJson({ last: content }, true);
      }
    }
    const comm = await connected(Once.asApp());
    await comm.sendJsonTo(1);
    expect(await comm.receiveJsonFrom()).toEqual({ last: 1 });
    expect(await comm.receiveClose()).toEqual({ code: 1000, reason: '' });
    await comm.wait();
  });

  it('uses overridden encodeJson/decodeJson', async () => {
    class Custom extends EchoJson {
      override decodeJson(text: string) {
        return JSON.parse(text.slice(1));
      }
      override encodeJson(content: unknown) {
        return `>${JSON.stringify(content)}`;
      }
    }
    const comm = await connected(Custom.asApp());
    await comm.sendTo({ text: '#{"x":1}' });
    expect(await comm.receiveFrom()).toBe('>{"got":{"x":1}}');
    await comm.disconnect();
  });

  it('answers non-JSON text with an error frame and stays open', async () => {
    const comm = await connected(EchoJson.asApp());
    await comm.sendTo({ text: '{not json' });
    const frame = await comm.receiveJsonFrom();
    expect(frame).toMatchObject({ type: 'error', code: 'ERR_INVALID_JSON' });
    expect(frame.detail).toMatch(/not valid JSON/);
    await comm.sendJsonTo('still here');
    expect(await comm.receiveJsonFrom()).toEqual({ got: 'still here' });
    await comm.disconnect();
  });

  it('answers a binary frame with an error frame', async () => {
    const comm = await connected(EchoJson.asApp());
    await comm.sendTo({ bytes: new Uint8Array([1, 2]) });
    expect(await comm.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'ERR_INVALID_JSON',
      detail: 'expected a text frame with JSON, got a 2-byte binary frame',
    });
    await comm.disconnect();
  });

  it("with invalidJson = 'close' closes with 4400", async () => {
    const codes: number[] = [];
    class Closing extends EchoJson {
      static override invalidJson = 'close' as const;
      override async disconnect(code: number) {
        codes.push(code);
      }
    }
    const comm = await connected(Closing.asApp());
    await comm.sendTo({ text: 'nope' });
    expect(await comm.receiveClose()).toEqual({ code: CloseCode.INVALID_JSON, reason: 'ERR_INVALID_JSON' });
    await comm.wait();
    expect(codes).toEqual([4400]);
  });
});

class SendMessageDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(10)
  text!: string;
}

class PointDto {
  @IsInt()
  @Min(0)
  x!: number;
}

class ShapeDto {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => PointDto)
  origin!: PointDto;
}

class LegacyDto {
  @IsString()
  @IsNotEmpty()
  message!: string;
}

class Actions extends JsonWebsocketConsumer {
  static override channelLayerAlias = 'none';

  @Action('send', SendMessageDto)
  async sendMessage(dto: SendMessageDto, content: unknown) {
    await this.sendJson({ kind: 'send', isDto: dto instanceof SendMessageDto, dto, content });
  }

  @Action('shape', ShapeDto)
  async shape(dto: ShapeDto) {
    await this.sendJson({ kind: 'shape', x: dto.origin.x });
  }

  @Action('ping')
  async ping(content: unknown) {
    await this.sendJson({ kind: 'pong', content });
  }

  @DefaultAction(LegacyDto)
  async legacy(dto: LegacyDto) {
    await this.sendJson({ kind: 'legacy', message: dto.message });
  }
}

describe('JsonWebsocketConsumer actions', () => {
  let comm: WebsocketCommunicator;
  beforeEach(async () => {
    comm = await connected(Actions.asApp());
  });
  afterEach(async () => {
    await comm.disconnect();
  });

  it('routes by the action field and hands over a validated DTO instance (unknown fields stripped)', async () => {
    await comm.sendJsonTo({ action: 'send', text: '  hi  ', extra: 'dropped' });
    expect(await comm.receiveJsonFrom()).toEqual({
      kind: 'send',
      isDto: true,
      dto: { text: 'hi' },
      content: { action: 'send', text: '  hi  ', extra: 'dropped' },
    });
  });

  it('routes an action without a DTO with the raw content', async () => {
    await comm.sendJsonTo({ action: 'ping', n: 1 });
    expect(await comm.receiveJsonFrom()).toEqual({ kind: 'pong', content: { action: 'ping', n: 1 } });
  });

  it('routes messages without the discriminator to the default action', async () => {
    await comm.sendJsonTo({ message: 'hi' });
    expect(await comm.receiveJsonFrom()).toEqual({ kind: 'legacy', message: 'hi' });
  });

  it('sends the failed constraints and stays open', async () => {
    await comm.sendJsonTo({ action: 'send', text: '   ' });
    expect(await comm.receiveJsonFrom()).toEqual({
      type: 'error',
      code: 'ERR_VALIDATION_FAILED',
      detail: 'validation failed: text (isNotEmpty)',
      errors: [{ field: 'text', constraint: 'isNotEmpty', message: 'text should not be empty' }],
    });
    await comm.sendJsonTo({ action: 'send', text: 42 });
    const frame = await comm.receiveJsonFrom();
    expect(frame.code).toBe('ERR_VALIDATION_FAILED');
    expect(frame.errors.map((e: { constraint: string }) => e.constraint).sort()).toEqual(['isString', 'maxLength']);
    await comm.sendJsonTo({ action: 'send', text: 'ok' });
    expect((await comm.receiveJsonFrom()).kind).toBe('send');
  });

  it('flattens nested failures with dotted paths', async () => {
    await comm.sendJsonTo({ action: 'shape', name: 'a', origin: { x: -1 } });
    expect(await comm.receiveJsonFrom()).toMatchObject({
      code: 'ERR_VALIDATION_FAILED',
      errors: [{ field: 'origin.x', constraint: 'min', message: 'x must not be less than 0' }],
    });
  });

  it('answers an unknown action with ERR_UNKNOWN_ACTION and stays open', async () => {
    await comm.sendJsonTo({ action: 'fly' });
    expect(await comm.receiveJsonFrom()).toEqual({ type: 'error', code: 'ERR_UNKNOWN_ACTION', detail: 'unknown action "fly"' });
    await comm.sendJsonTo({ action: 'ping' });
    expect((await comm.receiveJsonFrom()).kind).toBe('pong');
  });

  it('refuses a non-object payload for a DTO', async () => {
    await comm.sendJsonTo([1, 2]);
    expect(await comm.receiveJsonFrom()).toMatchObject({
      code: 'ERR_VALIDATION_FAILED',
      errors: [{ field: '', constraint: 'isObject', message: 'a JSON object is expected' }],
    });
  });
});

describe('JsonWebsocketConsumer action options', () => {
  it('honours an overridden actionKey, a missing default action, and super.receiveJson', async () => {
    class Typed extends JsonWebsocketConsumer {
      static override channelLayerAlias = 'none';
      static override actionKey = 'type';
      seen = 0;
      @Action('hello')
      async hello() {
        await this.sendJson({ hello: this.seen });
      }
      override async receiveJson(content: unknown) {
        this.seen++;
        await super.receiveJson(content);
      }
    }
    const comm = await connected(Typed.asApp());
    await comm.sendJsonTo({ type: 'hello' });
    expect(await comm.receiveJsonFrom()).toEqual({ hello: 1 });
    await comm.sendJsonTo({ action: 'hello' });
    expect(await comm.receiveJsonFrom()).toEqual({ type: 'error', code: 'ERR_UNKNOWN_ACTION', detail: 'the message has no "type" field, and this consumer has no @DefaultAction for such messages' });
    await comm.disconnect();
  });
});
