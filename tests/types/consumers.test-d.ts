/**
 * Type-level tests for consumers (checked by `tsc --noEmit`, not run by jest):
 * the handler-name rule, typed channel layer sends, and EventHandlers.
 */
import { expectTypeOf } from 'expect-type';
import type { HandlerName } from '../../src/consumers/handler-name';
import type { EventHandlers, EventOf } from '../../src/consumers/event-handlers';
import { JsonWebsocketConsumer } from '../../src/consumers/json-websocket-consumer';
import { WebsocketConsumer } from '../../src/consumers/websocket-consumer';
import type { ChannelLayer } from '../../src/layers/channel-layer';

// ---- HandlerName mirrors the runtime rule
expectTypeOf<HandlerName<'chat.message'>>().toEqualTypeOf<'chatMessage'>();
expectTypeOf<HandlerName<'chat_message'>>().toEqualTypeOf<'chatMessage'>();
expectTypeOf<HandlerName<'chat-message'>>().toEqualTypeOf<'chatMessage'>();
expectTypeOf<HandlerName<'websocket.receive'>>().toEqualTypeOf<'websocketReceive'>();
expectTypeOf<HandlerName<'user.joined_room-now'>>().toEqualTypeOf<'userJoinedRoomNow'>();
expectTypeOf<HandlerName<'ping'>>().toEqualTypeOf<'ping'>();
expectTypeOf<HandlerName<'_private'>>().toEqualTypeOf<never>();
expectTypeOf<HandlerName<'.x'>>().toEqualTypeOf<never>();

type Events = {
  'chat.message': { message: string; user: string };
  'user.joined': { user: string };
};

// ---- the event map types the consumer's channel layer
class Chat extends JsonWebsocketConsumer<Events> implements EventHandlers<Events> {
  async chatMessage(event: EventOf<Events, 'chat.message'>) {
    expectTypeOf(event.message).toEqualTypeOf<string>();
    expectTypeOf(event.type).toEqualTypeOf<'chat.message'>();
    await this.sendJson(event);
  }
  async userJoined(event: { type: 'user.joined'; user: string }) {
    await this.sendJson({ joined: event.user });
  }
  async typedSends() {
    expectTypeOf(this.channelLayer).toEqualTypeOf<ChannelLayer<Events>>();
    expectTypeOf(this.channelName).toEqualTypeOf<string>();
    const layer = this.channelLayer;
    await layer.groupSend('room', { type: 'chat.message', message: 'x', user: 'u' });
    await layer.send(this.channelName, { type: 'user.joined', user: 'u' });
    await this.groupSend('room', { type: 'chat.message', message: 'x', user: 'u' });
    await this.channelSend(this.channelName, { type: 'user.joined', user: 'u' });
    // @ts-expect-error unknown event type
    await this.groupSend('room', { type: 'chat.mesage', message: 'x', user: 'u' });
    // @ts-expect-error wrong payload type
    await this.groupSend('room', { type: 'chat.message', message: 1, user: 'u' });
    // @ts-expect-error payload of another type
    await this.channelSend('c', { type: 'user.joined', message: 'x' });
    // @ts-expect-error unknown event type
    await layer.groupSend('room', { type: 'chat.mesage', message: 'x', user: 'u' });
    // @ts-expect-error wrong payload type
    await layer.groupSend('room', { type: 'chat.message', message: 1, user: 'u' });
    // @ts-expect-error missing payload field
    await layer.groupSend('room', { type: 'chat.message', message: 'x' });
    // @ts-expect-error payload of another type
    await layer.send('c', { type: 'user.joined', message: 'x' });
  }
}
void Chat;

// ---- a missing handler fails to compile
// @ts-expect-error Property 'userJoined' is missing
class Missing extends WebsocketConsumer<Events> implements EventHandlers<Events> {
  async chatMessage(event: EventOf<Events, 'chat.message'>) {
    void event;
  }
}
void Missing;

// ---- a handler with the wrong payload type fails to compile
class WrongPayload extends WebsocketConsumer<Events> implements EventHandlers<Events> {
  // @ts-expect-error message is a string in the event map
  async chatMessage(event: { type: 'chat.message'; message: number; user: string }) {
    void event;
  }
  async userJoined(event: EventOf<Events, 'user.joined'>) {
    void event;
  }
}
void WrongPayload;

// ---- the default event map is permissive
class Loose extends WebsocketConsumer {
  async anything() {
    await this.channelLayer.groupSend('g', { type: 'whatever', any: 1, thing: [true] });
    await this.groupSend('g', { type: 'whatever', any: 1, thing: [true] });
    await this.channelSend(this.channelName, { type: 'whatever' });
  }
}
void Loose;

// ---- asApp is typed on the subclass: initOptions are its fields
Chat.asApp({ scope: undefined });
// @ts-expect-error not a field of Chat
Chat.asApp({ notAField: 1 });
