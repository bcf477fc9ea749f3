/**
 * Types of route kwargs, inferred from a `path()` pattern at compile time:
 * `PathParams<'chat/<roomName>/<int:id>/'>` is `{ roomName: string; id: number }`.
 */
import type { HttpScope, WebsocketScope } from '../application';

/** The value type a built-in converter produces; custom converters give `unknown`. */
export type ConverterValue<C extends string> = C extends 'int'
  ? number
  : C extends 'str' | 'slug' | 'uuid' | 'path'
    ? string
    : unknown;

type ParameterOf<Inner extends string> = Inner extends `${infer C}:${infer N}`
  ? { [K in N]: ConverterValue<C> }
  : { [K in Inner]: string };

type CollectParams<P extends string> = P extends `${string}<${infer Inner}>${infer Rest}`
  ? ParameterOf<Inner> & CollectParams<Rest>
  : unknown;

type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * The kwargs a `path()` pattern yields. A pattern given as a plain `string`
 * (not a literal) yields `Record<string, unknown>`.
 *
 * @example
 * type P = PathParams<'chat/<roomName>/<int:id>/'>; // { roomName: string; id: number }
 */
export type PathParams<P extends string> = string extends P ? Record<string, unknown> : Flatten<CollectParams<P>>;

/** `T` without its index signature and without the keys in `Drop` (optional flags kept). */
type Without<T, Drop> = {
  [Key in keyof T as string extends Key ? never : number extends Key ? never : Key extends Drop ? never : Key]: T[Key];
};

type Routed<S, K> = Without<S, 'urlRoute' | 'pathRemaining'> & {
  urlRoute: { args: unknown[]; kwargs: K };
  pathRemaining: string;
  [key: string]: unknown;
};

/**
 * A connection scope after a URLRouter matched: `urlRoute.kwargs` is typed
 * (and only the pattern's parameters are known keys).
 */
export type RoutedScope<K = Record<string, unknown>> = Routed<WebsocketScope, K> | Routed<HttpScope, K>;
