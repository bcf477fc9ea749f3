/**
 * The broadcast fast lane of JSON consumers: a layer message (or any object
 * or array inside it) is deeply frozen and shared by every receiver in the
 * process, so its JSON text is the same for all of them. A handler that
 * forwards it (`this.sendJson(event.payload)`) serializes it once per
 * process instead of once per member; anything else is serialized as usual.
 */
import { isImmutableMessageValue } from '../layers/message';

// Keyed by the message object itself: the text lives exactly as long as the message.
const texts = new WeakMap<object, string>();

/**
 * `JSON.stringify(content)`, computed once per sealed layer message value.
 * Exact: a sealed value cannot change, so its text cannot either.
 */
export function encodeJsonOnce(content: unknown): string {
  if (content === null || typeof content !== 'object' || !isImmutableMessageValue(content)) return JSON.stringify(content);
  let text = texts.get(content);
  if (text === undefined) {
    text = JSON.stringify(content);
    texts.set(content, text);
  }
  return text;
}
