/**
 * Path converters: the `<int:id>` part of a `path()` pattern. Each one is a
 * regular expression fragment plus a function that typecasts the captured
 * text. The built-ins follow Django's; `registerConverter` adds more.
 */
import { InvalidOption } from '../errors';

/** A named converter usable as `<name:param>` in `path()` patterns. */
export interface PathConverter<T = unknown> {
  /** Regular expression source (no anchors) matching one value, e.g. `[0-9]{4}`. */
  regex: string;
  /**
   * Typecasts the matched text. Throwing means "not a match": the router
   * moves on to the next route, as a Django converter's `to_python` does.
   */
  toValue(raw: string): T;
}

const identity = (raw: string): string => raw;

function toSafeInteger(raw: string): number {
  const value = Number(raw);
  // Past 2^53 a number no longer names one integer; refusing keeps ids exact.
  if (!Number.isSafeInteger(value)) throw new RangeError(`${raw} is not a safe integer`);
  return value;
}

const BUILT_IN: ReadonlyArray<[string, PathConverter]> = [
  ['str', { regex: '[^/]+', toValue: identity }],
  ['int', { regex: '[0-9]+', toValue: toSafeInteger }],
  ['slug', { regex: '[-a-zA-Z0-9_]+', toValue: identity }],
  ['uuid', { regex: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', toValue: identity }],
  ['path', { regex: '.+', toValue: identity }],
];

const BUILT_IN_NAMES = new Set(BUILT_IN.map(([name]) => name));
const registry = new Map<string, PathConverter>(BUILT_IN);

/**
 * Registers a converter for use as `<name:param>` in patterns compiled
 * afterwards (patterns compile when `path()` is called). Built-in names
 * (`str`, `int`, `slug`, `uuid`, `path`) cannot be replaced.
 *
 * @example
 * registerConverter('year', { regex: '[0-9]{4}', toValue: Number });
 * path('archive/<year:y>/', archiveApp);
 */
export function registerConverter<T>(name: string, converter: PathConverter<T>): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidOption(`registerConverter: name ${JSON.stringify(name)} must be an identifier (letters, digits, _)`);
  }
  if (BUILT_IN_NAMES.has(name)) {
    throw new InvalidOption(`registerConverter: ${JSON.stringify(name)} is a built-in converter and cannot be replaced`);
  }
  if (typeof converter?.regex !== 'string' || converter.regex === '' || typeof converter.toValue !== 'function') {
    throw new InvalidOption('registerConverter: converter needs a non-empty `regex` string and a `toValue(raw)` function');
  }
  try {
    new RegExp(converter.regex);
  } catch (error) {
    throw new InvalidOption(`registerConverter: regex for ${JSON.stringify(name)} does not compile: ${(error as Error).message}`);
  }
  registry.set(name, converter as PathConverter);
}

/** The converter registered under `name`, if any. */
export function getConverter(name: string): PathConverter | undefined {
  return registry.get(name);
}

/** Names of every registered converter, for error messages. */
export function converterNames(): string[] {
  return [...registry.keys()];
}
