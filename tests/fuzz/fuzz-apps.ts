/**
 * The applications the fuzz harness attacks: an echo, a JSON responder
 * behind a rate limit, a group chat over a channel layer, and a route behind
 * origin and token checks. Written against the raw event contract.
 */
import { IsString, MaxLength } from 'class-validator';
import type { Application, Scope } from '../../src/application';
import { DefaultAction } from '../../src/consumers/decorators';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';
import { RouteNotFound } from '../../src/errors';
import type { ChannelLayer } from '../../src/layers/channel-layer';
import { OriginValidator } from '../../src/middleware/origin-validator';
import { RateLimitMiddleware } from '../../src/middleware/rate-limit';
import { TokenAuthMiddleware } from '../../src/middleware/token-auth-middleware';

export const FUZZ_JWT_SECRET = 'fuzz-secret';
export const GOOD_ORIGIN = 'https://good.example';

const echo: Application = async (scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    if (typeof event.text === 'string') await send({ type: 'websocket.send', text: event.text });
    else if (event.bytes instanceof Uint8Array) await send({ type: 'websocket.send', bytes: event.bytes });
  }
};

function describeJson(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    return JSON.stringify({ type: 'ok', kind: Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value });
  } catch (error) {
    // Deeply nested input can exhaust the parser's stack: a RangeError, not a crash.
    return JSON.stringify({ type: 'error', code: error instanceof RangeError ? 'ERR_TOO_DEEP' : 'ERR_INVALID_JSON' });
  }
}

const json: Application = async (scope, receive, send) => {
  await receive();
  await send({ type: 'websocket.accept' });
  for (;;) {
    const event = await receive();
    if (event.type === 'websocket.disconnect') return;
    const reply = typeof event.text === 'string' ? describeJson(event.text) : '{"type":"error","code":"ERR_BINARY"}';
    await send({ type: 'websocket.send', text: reply });
  }
};

/** Group chat: every text frame goes to the room's group; the group's messages go to the client. */
function chat(layer: ChannelLayer): Application {
  return async (scope, receive, send) => {
    const room = String(scope.path).split('/')[2] || 'lobby';
    await receive();
    const channel = await layer.newChannel('chat');
    await layer.groupAdd(room, channel);
    const stop = new AbortController();
    let pump: Promise<void> = Promise.resolve();
    try {
      await send({ type: 'websocket.accept' });
      pump = (async () => {
        for (;;) {
          let message;
          try {
            message = await layer.receive(channel, { signal: stop.signal });
          } catch {
            return; // aborted: the client left
          }
          await send({ type: 'websocket.send', text: String(message.text) });
        }
      })();
      for (;;) {
        const event = await receive();
        if (event.type === 'websocket.disconnect') return;
        if (typeof event.text === 'string') await layer.groupSend(room, { type: 'chat.message', text: event.text });
      }
    } finally {
      stop.abort();
      await pump;
      await layer.groupDiscard(room, channel);
    }
  };
}

class FuzzMessageDto {
  @IsString()
  @MaxLength(10_000)
  message!: string;
}

/** The JSON consumer path with DTO validation (wide objects and deep unknown fields land here). */
class DtoConsumer extends JsonWebsocketConsumer {
  static override channelLayerAlias = 'fuzz-no-layer';
  @DefaultAction(FuzzMessageDto)
  async say(dto: FuzzMessageDto): Promise<void> {
    await this.sendJson({ type: 'ok', length: dto.message.length });
  }
}

/** The routed application the fuzz server runs. */
export function fuzzApplication(layer: ChannelLayer): Application {
  const routes: Array<[string, Application]> = [
    ['/echo', echo],
    ['/json', RateLimitMiddleware(json, { messagesPerSecond: 2_000, burst: 500, onLimit: 'error-frame' })],
    ['/dto', RateLimitMiddleware(DtoConsumer.asApp(), { messagesPerSecond: 2_000, burst: 500, onLimit: 'error-frame' })],
    ['/chat/', chat(layer)],
    ['/secure', OriginValidator(TokenAuthMiddleware(echo, { secret: FUZZ_JWT_SECRET }), [GOOD_ORIGIN])],
  ];
  return async (scope: Scope, receive, send) => {
    const path = typeof scope.path === 'string' ? (scope.path as string) : '';
    for (const [prefix, app] of routes) {
      if (path === prefix || (prefix.endsWith('/') && path.startsWith(prefix))) return app(scope, receive, send);
    }
    throw new RouteNotFound(path);
  };
}
