/**
 * Type-level tests for channel layers, checked by `npm run typecheck` (tsc),
 * not run by jest. Every `@ts-expect-error` line must fail to compile; if
 * the types become too loose, tsc reports the directive as unused.
 */
import { expectTypeOf } from 'expect-type';
import { BaseChannelLayer } from '../../src/layers/base-channel-layer';
import type { ChannelLayer, EventMap, LayerMessage, MessageOf } from '../../src/layers/channel-layer';
import { InMemoryChannelLayer } from '../../src/layers/memory-layer';
import { getChannelLayer } from '../../src/layers/registry';

type ChatEvents = { 'chat.message': { message: string } };

/** Event maps are usually interfaces; they must satisfy the constraint too. */
interface RoomEvents {
  'room.join': { user: string };
  'room.leave': { user: string; reason?: string };
}

export async function typedLayer(): Promise<void> {
  const layer: ChannelLayer<ChatEvents> = new InMemoryChannelLayer<ChatEvents>();

  await layer.send('c', { type: 'chat.message', message: 'hi' });
  await layer.groupSend('room', { type: 'chat.message', message: 'hi' });
  await layer.sendMany([['c', { type: 'chat.message', message: 'hi' }]]);
  await layer.groupSendMany([['room', { type: 'chat.message', message: 'hi' }]]);

  // @ts-expect-error wrong type string
  await layer.send('c', { type: 'chat.other', message: 'hi' });
  // @ts-expect-error wrong payload type
  await layer.groupSend('room', { type: 'chat.message', message: 5 });
  // @ts-expect-error missing payload field
  await layer.send('c', { type: 'chat.message' });
  // @ts-expect-error wrong payload inside a bulk send
  await layer.groupSendMany([['room', { type: 'chat.message', message: null }]]);

  const received = await layer.receive('c');
  expectTypeOf(received).toEqualTypeOf<{ type: 'chat.message' } & { message: string }>();
  expectTypeOf(received.message).toBeString();
}

export async function unionOfEvents(): Promise<void> {
  const layer = new InMemoryChannelLayer<RoomEvents>();
  await layer.send('c', { type: 'room.join', user: 'ann' });
  await layer.send('c', { type: 'room.leave', user: 'ann', reason: 'bye' });
  // @ts-expect-error the payload of one event does not fit another
  await layer.send('c', { type: 'room.join', reason: 'bye' });

  const message = await layer.receive('c');
  if (message.type === 'room.leave') expectTypeOf(message.reason).toEqualTypeOf<string | undefined>();
  else expectTypeOf(message).toEqualTypeOf<{ type: 'room.join' } & { user: string }>();
  expectTypeOf<MessageOf<RoomEvents>['type']>().toEqualTypeOf<'room.join' | 'room.leave'>();
}

export async function defaultLayer(): Promise<void> {
  const layer = new InMemoryChannelLayer();
  await layer.send('c', { type: 'anything.at.all', x: 1, nested: { y: [true] } });
  await layer.groupSend('g', { type: 'other' });
  // @ts-expect-error the type must be a string
  await layer.send('c', { type: 5 });
  // @ts-expect-error a message needs a type
  await layer.send('c', { text: 'no type' });

  const fromRegistry = getChannelLayer();
  expectTypeOf(fromRegistry).toEqualTypeOf<ChannelLayer | null>();
  const typedFromRegistry = getChannelLayer<ChatEvents>('chat');
  expectTypeOf(typedFromRegistry).toEqualTypeOf<ChannelLayer<ChatEvents> | null>();
  // @ts-expect-error the registry layer is typed by the caller's map
  await typedFromRegistry?.send('c', { type: 'chat.message', message: 1 });
  expectTypeOf((await layer.receive('c')).type).toBeString();
  expectTypeOf(await layer.receive('c')).toMatchTypeOf<LayerMessage>();
}

export function constraints(): void {
  expectTypeOf<RoomEvents>().toMatchTypeOf<EventMap>();
  expectTypeOf<InMemoryChannelLayer<ChatEvents>>().toMatchTypeOf<ChannelLayer<ChatEvents>>();
  expectTypeOf<InMemoryChannelLayer<ChatEvents>>().toMatchTypeOf<BaseChannelLayer<ChatEvents>>();
  const layer = new InMemoryChannelLayer();
  layer.on('dropped', (info) => expectTypeOf(info.count).toBeNumber());
  // @ts-expect-error unknown layer event
  layer.on('no-such-event', () => undefined);
  // @ts-expect-error listener arguments are typed
  layer.on('dropped', (info: string) => info);
}

export async function typedHistory(): Promise<void> {
  const layer: ChannelLayer<ChatEvents> = new InMemoryChannelLayer<ChatEvents>({ history: [['room*', { size: 10 }]] });
  const history = await layer.groupHistory('room', { since: { offset: 1, epoch: 'e' }, limit: 5 });
  expectTypeOf(history.messages[0]!.message).toEqualTypeOf<MessageOf<ChatEvents>>();
  expectTypeOf(history.messages[0]!.message.message).toEqualTypeOf<string>();
  expectTypeOf(history.recovered).toEqualTypeOf<boolean>();
  // @ts-expect-error since needs an epoch
  await layer.groupHistory('room', { since: { offset: 1 } });
  // @ts-expect-error history retention is an object
  new InMemoryChannelLayer({ history: [['room*', 10]] });
}
