/**
 * Compiling route patterns into matchers, once, when a route is declared.
 * `path()` patterns use Django's converter syntax; `rePath()` takes a RegExp.
 * Both match against a path whose leading '/' has been removed.
 */
import { InvalidRoutePattern } from '../errors';
import { converterNames, getConverter, type PathConverter } from './converters';

/** What a successful match yields: captures and the unmatched tail. */
export interface PatternMatch {
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** The rest of the path after the match ('' after a whole-path match). */
  rest: string;
}

/** A compiled route pattern. */
export interface CompiledPattern {
  /** The pattern as written, for messages. */
  readonly source: string;
  match(path: string): PatternMatch | null;
}

/** Drops one leading '/', so `/ws/chat/` and `ws/chat/` are the same path. */
export function stripLeadingSlash(value: string): string {
  return value.charCodeAt(0) === 47 /* / */ ? value.slice(1) : value;
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const EMPTY_ARGS = Object.freeze([]) as unknown as unknown[];

function escapeLiteral(text: string): string {
  if (text.includes('>')) throw new InvalidRoutePattern(`unbalanced '>' in route pattern near ${JSON.stringify(text)}`);
  return text.replace(ESCAPE, '\\$&');
}

/** Number of capturing groups a regular expression source contains. */
function groupCount(source: string): number {
  return (new RegExp(`${source}|`).exec('') as RegExpExecArray).length - 1;
}

interface Parameter {
  name: string;
  converter: PathConverter;
  /** Index of this parameter's group in the match array. */
  group: number;
}

/**
 * Compiles a `path()` pattern such as `chat/<roomName>/<int:id>/`.
 * With `prefix`, the pattern only has to match the start of the path (the
 * route leads to a nested router); otherwise it must match all of it.
 */
export function compilePathPattern(pattern: string, prefix: boolean): CompiledPattern {
  if (typeof pattern !== 'string') throw new InvalidRoutePattern(`a path() pattern must be a string, got ${typeof pattern}`);
  const body = stripLeadingSlash(pattern);
  const parameters: Parameter[] = [];
  const seen = new Set<string>();
  let source = '^';
  let group = 1;
  let cursor = 0;
  for (;;) {
    const open = body.indexOf('<', cursor);
    if (open === -1) break;
    const close = body.indexOf('>', open);
    if (close === -1) throw new InvalidRoutePattern(`unclosed '<' in route pattern ${JSON.stringify(pattern)}`);
    source += escapeLiteral(body.slice(cursor, open));
    const inner = body.slice(open + 1, close);
    const colon = inner.indexOf(':');
    const converterName = colon === -1 ? 'str' : inner.slice(0, colon);
    const name = colon === -1 ? inner : inner.slice(colon + 1);
    if (!IDENTIFIER.test(name)) {
      throw new InvalidRoutePattern(
        `route pattern ${JSON.stringify(pattern)}: parameter name ${JSON.stringify(name)} must be an identifier`,
      );
    }
    if (seen.has(name)) {
      throw new InvalidRoutePattern(`route pattern ${JSON.stringify(pattern)} uses parameter ${JSON.stringify(name)} twice`);
    }
    seen.add(name);
    const converter = getConverter(converterName);
    if (!converter) {
      throw new InvalidRoutePattern(
        `route pattern ${JSON.stringify(pattern)} uses unknown converter ${JSON.stringify(converterName)}; ` +
          `known converters: ${converterNames().join(', ')} (add one with registerConverter())`,
      );
    }
    source += `(${converter.regex})`;
    parameters.push({ name, converter, group });
    group += 1 + groupCount(converter.regex);
    cursor = close + 1;
  }
  source += escapeLiteral(body.slice(cursor));
  if (!prefix) source += '$';
  const regex = new RegExp(source);

  return {
    source: pattern,
    match(path) {
      const found = regex.exec(path);
      if (found === null) return null;
      const kwargs: Record<string, unknown> = {};
      for (const parameter of parameters) {
        try {
          kwargs[parameter.name] = parameter.converter.toValue(found[parameter.group] as string);
        } catch {
          return null;
        }
      }
      return { args: EMPTY_ARGS, kwargs, rest: path.slice(found[0].length) };
    },
  };
}

/**
 * Compiles a `rePath()` pattern. Strings may use Python's `(?P<name>...)`
 * group syntax. The match is anchored at the start of the path (a leading
 * `^/` counts as `^`); whether it must reach the end is up to the pattern
 * (`$`). Named groups become kwargs; without named groups, unnamed groups
 * become args.
 */
export function compileRegexPattern(pattern: RegExp | string): CompiledPattern {
  let source: string;
  let flags = '';
  if (pattern instanceof RegExp) {
    source = pattern.source;
    flags = pattern.flags.replace(/[gy]/g, '');
  } else if (typeof pattern === 'string') {
    source = pattern.replace(/\(\?P</g, '(?<');
  } else {
    throw new InvalidRoutePattern(`a rePath() pattern must be a RegExp or a string, got ${typeof pattern}`);
  }
  if (source.startsWith('^/')) source = `^${source.slice(2)}`;
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${source})`, flags);
  } catch (error) {
    throw new InvalidRoutePattern(`rePath pattern ${JSON.stringify(String(pattern))} does not compile: ${(error as Error).message}`);
  }
  const named = /\(\?<(?![=!])/.test(source);

  return {
    source: String(pattern),
    match(path) {
      const found = regex.exec(path);
      if (found === null) return null;
      const rest = path.slice(found[0].length);
      if (named) {
        const kwargs: Record<string, unknown> = {};
        const groups = found.groups as Record<string, string | undefined>;
        for (const key in groups) if (groups[key] !== undefined) kwargs[key] = groups[key];
        return { args: EMPTY_ARGS, kwargs, rest };
      }
      return { args: found.slice(1).filter((value) => value !== undefined), kwargs: {}, rest };
    },
  };
}
