/**
 * Socket params as phoenix.js sends them: in the query string, nested
 * objects as `a[b]=1` and arrays as `a[]=1`, plus `vsn`. Read back into a
 * plain object with `vsn` taken out.
 */

/** The params of a query string, and the serializer version it asked for. */
export interface ConnectQuery {
  params: Record<string, unknown>;
  vsn: string | null;
}

const KEY_PATH = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;
// A query string names a bounded number of keys and nesting levels.
const MAX_DEPTH = 8;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function assign(target: Record<string, unknown>, keys: string[], value: string): void {
  let node: Record<string, unknown> | unknown[] = target;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const last = i === keys.length - 1;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
    if (Array.isArray(node)) {
      if (key !== '') return;
      if (last) node.push(value);
      else node.push((node = {}) as never);
      continue;
    }
    if (last) {
      node[key] = value;
      return;
    }
    const nextIsArray = keys[i + 1] === '';
    let child: unknown = node[key];
    if (nextIsArray ? !Array.isArray(child) : !isRecord(child)) node[key] = child = nextIsArray ? [] : {};
    node = child as Record<string, unknown> | unknown[];
  }
}

/**
 * Parse `queryString` (undecoded, without `?`).
 *
 * @example
 * parseConnectQuery('token=abc&user[id]=7&vsn=2.0.0'); // { params: { token: 'abc', user: { id: '7' } }, vsn: '2.0.0' }
 */
export function parseConnectQuery(queryString: string): ConnectQuery {
  const params: Record<string, unknown> = Object.create(null);
  let vsn: string | null = null;
  for (const [name, value] of new URLSearchParams(queryString)) {
    if (name === 'vsn') {
      vsn = value;
      continue;
    }
    const match = KEY_PATH.exec(name);
    if (match === null) continue;
    const keys = [match[1]!, ...(match[2]!.match(/\[[^[\]]*\]/g) ?? []).map((k) => k.slice(1, -1))];
    if (keys.length > MAX_DEPTH) continue;
    assign(params, keys, value);
  }
  return { params: { ...params }, vsn };
}
