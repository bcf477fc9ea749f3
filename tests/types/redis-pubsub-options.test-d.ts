/**
 * Type-level tests for the pub/sub layer's options (checked by `tsc --noEmit`):
 * `publishAck` takes only the two documented modes.
 */
import { expectTypeOf } from 'expect-type';
import { RedisPubSubChannelLayer, type PublishAck, type RedisPubSubChannelLayerOptions } from '../../src';

expectTypeOf<PublishAck>().toEqualTypeOf<'reply' | 'written'>();
expectTypeOf<RedisPubSubChannelLayerOptions['publishAck']>().toEqualTypeOf<PublishAck | undefined>();
expectTypeOf<RedisPubSubChannelLayer['publishAck']>().toEqualTypeOf<PublishAck>();

const written: RedisPubSubChannelLayerOptions = { url: 'redis://127.0.0.1:6379', publishAck: 'written', localFirst: true };
void written;
// @ts-expect-error: not a mode
const misspelt: RedisPubSubChannelLayerOptions = { publishAck: 'sent' };
void misspelt;
