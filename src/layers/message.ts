/**
 * Message validation. A layer message is plain data; anything else is refused
 * at send with an error naming the offending path. Validation walks the value
 * once and produces a frozen copy, so one check per send protects every
 * receiver (binary values are the exception: typed arrays cannot be frozen,
 * so `cloneForDelivery` copies them per receiver, and only when present).
 */
import { InvalidMessage } from '../errors';
import type { LayerMessage } from './channel-layer';

/** A validated, deeply frozen message plus whether it holds binary values. */
export interface SealedMessage {
  message: Readonly<LayerMessage>;
  hasBinary: boolean;
}

const MAX_DEPTH = 64;

// Every object and array of a sealed message without binary values: deeply
// frozen plain data that no receiver can change, so derived values (its JSON
// text) can be computed once and shared by every receiver.
const immutable = new WeakSet<object>();

/**
 * True when `value` is (part of) a sealed message holding no binary values:
 * deeply frozen plain data, the same object for every receiver.
 */
export function isImmutableMessageValue(value: object): boolean {
  return immutable.has(value);
}

/**
 * Validate `message` and return a deeply frozen copy.
 * Throws InvalidMessage naming the path of the first bad value.
 */
export function sealMessage(message: unknown): SealedMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new InvalidMessage('message', 'a message must be a plain object with a string "type"');
  }
  if (typeof (message as { type?: unknown }).type !== 'string') {
    throw new InvalidMessage('message.type', 'a message must have a string "type"');
  }
  const state: CopyState = { hasBinary: false, seen: new Set<object>(), made: [], keys: [] };
  const copy = copyValue(message, state, 0) as LayerMessage;
  // With binary values receivers get copies (cloneForDelivery), never these objects.
  if (!state.hasBinary) for (const made of state.made) immutable.add(made);
  return { message: copy, hasBinary: state.hasBinary };
}

/**
 * Record the objects and arrays of a decoded message (from Redis) as sealed:
 * deeply frozen plain data without binary values, shared by every receiver
 * in this process, so that derived values (its JSON text) are computed once
 * per process, as for a message sealed here.
 */
export function markDecodedSealed(objects: readonly object[]): void {
  for (const object of objects) immutable.add(object);
}

interface CopyState {
  hasBinary: boolean;
  seen: Set<object>;
  /** The frozen objects and arrays made by this copy. */
  made: object[];
  /** Keys and indexes from the message down to the value being copied; a path string is built only for an error. */
  keys: Array<string | number>;
}

function pathOf(state: CopyState): string {
  let path = 'message';
  for (const key of state.keys) path += typeof key === 'number' ? `[${key}]` : `.${key}`;
  return path;
}

function copyValue(value: unknown, state: CopyState, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidMessage(pathOf(state), `${value} is not a finite number`);
      return value;
    case 'undefined':
      throw new InvalidMessage(pathOf(state), 'undefined is not allowed (omit the key or use null)');
    case 'function':
      throw new InvalidMessage(pathOf(state), 'functions are not allowed');
    case 'bigint':
      throw new InvalidMessage(pathOf(state), 'bigint is not allowed (send it as a string)');
    case 'symbol':
      throw new InvalidMessage(pathOf(state), 'symbols are not allowed');
  }
  if (value === null) return null;
  const obj = value as object;
  if (depth > MAX_DEPTH) throw new InvalidMessage(pathOf(state), `nesting deeper than ${MAX_DEPTH} levels`);
  if (obj instanceof Uint8Array) {
    state.hasBinary = true;
    return Buffer.from(obj);
  }
  if (state.seen.has(obj)) throw new InvalidMessage(pathOf(state), 'cyclic reference');
  state.seen.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const arr = new Array<unknown>(obj.length);
    for (let i = 0; i < obj.length; i++) {
      state.keys.push(i);
      arr[i] = copyValue(obj[i], state, depth + 1);
      state.keys.pop();
    }
    out = Object.freeze(arr);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (proto && proto.constructor && proto.constructor.name) || 'unknown';
      throw new InvalidMessage(pathOf(state), `${name} instances are not plain data (convert to a plain object, string or number)`);
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) throw new InvalidMessage(pathOf(state), 'symbol keys are not allowed');
    const rec: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      state.keys.push(key);
      setOwn(rec, key, copyValue((obj as Record<string, unknown>)[key], state, depth + 1));
      state.keys.pop();
    }
    out = Object.freeze(rec);
  }
  state.seen.delete(obj);
  state.made.push(out as object);
  return out;
}

/**
 * What one receiver gets: the sealed message itself, or when it holds binary
 * values, a copy whose buffers are the receiver's own.
 */
export function cloneForDelivery(sealed: SealedMessage): LayerMessage {
  if (!sealed.hasBinary) return sealed.message as LayerMessage;
  return cloneBinary(sealed.message) as LayerMessage;
}

function cloneBinary(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return Object.freeze(value.map(cloneBinary));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, cloneBinary((value as Record<string, unknown>)[key]));
  return Object.freeze(out);
}

/**
 * Assign an own property. A `__proto__` key (JSON.parse makes one from client
 * input) would otherwise set the copy's prototype instead of a data property.
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A sealed message with extra top-level fields (the history stamp): a frozen
 * shallow copy sharing the original's frozen values, immutable when the
 * original was (so its JSON is still computed once for every receiver).
 */
export function extendSealed(sealed: SealedMessage, fields: Readonly<Record<string, string | number>>): SealedMessage {
  const message = sealed.message as Record<string, unknown>;
  // Spread defines own data properties (a `__proto__` key included), a few times faster than a key loop: paid per history message.
  const out: Record<string, unknown> = { ...message, ...fields };
  Object.freeze(out);
  if (!sealed.hasBinary && immutable.has(message)) immutable.add(out);
  return { message: out as LayerMessage, hasBinary: sealed.hasBinary };
}

/** A sealed message without the given top-level keys (the same object when it has none of them). */
export function withoutKeys(sealed: SealedMessage, keys: readonly string[]): SealedMessage {
  const message = sealed.message as Record<string, unknown>;
  if (!keys.some((key) => Object.prototype.hasOwnProperty.call(message, key))) return sealed;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(message)) if (!keys.includes(key)) setOwn(out, key, message[key]);
  Object.freeze(out);
  if (!sealed.hasBinary && immutable.has(message)) immutable.add(out);
  return { message: out as LayerMessage, hasBinary: sealed.hasBinary };
}
