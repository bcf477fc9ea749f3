/**
 * The session a websocket (or http) scope carries: the same data, in the same
 * store and the same stored JSON shape, as express-session's `req.session`.
 */

/** The cookie record express-session stores with every session. */
export interface SessionCookieData {
  originalMaxAge: number | null;
  /** A Date, or its ISO string once it went through JSON. */
  expires?: Date | string | null;
  secure?: boolean | 'auto';
  httpOnly?: boolean;
  domain?: string;
  path?: string;
  sameSite?: boolean | 'lax' | 'strict' | 'none';
  [key: string]: unknown;
}

/** What a store holds for one session id: `cookie` plus the application's keys. */
export interface StoredSession {
  cookie: SessionCookieData;
  [key: string]: unknown;
}

/**
 * The express-session store contract (the part Switchyard uses). Any
 * connect/express-session store fits: `session.MemoryStore`, connect-redis...
 * Sessions go in and come out as StoredSession; the types say `object` so
 * stores typed with @types/express-session's SessionData fit too.
 */
export interface SessionStore {
  get(sid: string, callback: (error: any, session?: object | null) => void): void;
  set(sid: string, session: object, callback?: (error?: any) => void): void;
  destroy(sid: string, callback?: (error?: any) => void): void;
}

// Names a stored key may not take on the object: the methods below, and keys
// that would reach the prototype.
const RESERVED = new Set(['id', 'isNew', 'save', 'reload', 'destroy', 'toJSON', '__proto__', 'constructor', 'prototype']);

/** The cookie record of a session that did not exist before (express-session's defaults). */
function defaultCookie(): SessionCookieData {
  return { originalMaxAge: null, expires: null, secure: false, httpOnly: true, path: '/' };
}

function callStore(run: (done: (error?: unknown) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    run((error) => (error ? reject(error) : resolve()));
  });
}

/** Load a session's stored data; `null` when missing or its cookie expired. */
export function loadStoredSession(store: SessionStore, sid: string, now: number): Promise<StoredSession | null> {
  return new Promise<StoredSession | null>((resolve, reject) => {
    store.get(sid, (error, stored) => {
      if (error) return reject(error);
      if (!stored || typeof stored !== 'object') return resolve(null);
      const data = stored as StoredSession;
      const expires = data.cookie?.expires;
      // Stores normally drop expired sessions themselves; a store that keeps
      // them (or a clock skew) must not revive one.
      if (expires && new Date(expires).getTime() <= now) return resolve(null);
      resolve(data);
    });
  });
}

/**
 * A session: its data keys are plain own properties (`session.user = ...`),
 * as on express-session's `req.session`; `save()` writes them back.
 * The session is read once when the connection opens: call `reload()` to
 * see changes the HTTP side made since.
 *
 * @example
 * scope.session.cart = ['apple'];
 * await scope.session.save();
 */
export class Session {
  /** express-session's cookie record, kept as stored so the HTTP side reads it back unchanged. */
  cookie!: SessionCookieData;
  [key: string]: unknown;
  #id: string;
  #store: SessionStore;
  #isNew: boolean;

  constructor(store: SessionStore, id: string, data: StoredSession | null) {
    this.#store = store;
    this.#id = id;
    this.#isNew = data === null;
    this.#assign(data);
  }

  /** The session id (the unsigned cookie value). */
  get id(): string {
    return this.#id;
  }

  /**
   * True when the request carried no valid session cookie. Such a session is
   * saved under a fresh id that the client does not know unless the
   * application hands it over (see docs/security.md).
   */
  get isNew(): boolean {
    return this.#isNew;
  }

  /** Write the data back to the store (express-session's JSON shape, `cookie` included). */
  async save(): Promise<void> {
    const data = this.toJSON();
    await callStore((done) => this.#store.set(this.#id, data, done));
    this.#isNew = false;
  }

  /** Replace the data with what the store holds now (empty when the session is gone). */
  async reload(): Promise<void> {
    this.#assign(await loadStoredSession(this.#store, this.#id, Date.now()));
  }

  /** Delete the session from the store and empty the data. */
  async destroy(): Promise<void> {
    await callStore((done) => this.#store.destroy(this.#id, done));
    this.#assign(null);
  }

  /** The stored form: `cookie` plus every data key. */
  toJSON(): StoredSession {
    const out: StoredSession = { cookie: this.cookie };
    for (const key of Object.keys(this)) out[key] = this[key];
    return out;
  }

  /** Replace every data key (and `cookie`) with `data`'s; `null` leaves an empty session. */
  #assign(data: StoredSession | null): void {
    for (const key of Object.keys(this)) delete this[key];
    this.cookie = data?.cookie && typeof data.cookie === 'object' ? data.cookie : defaultCookie();
    if (!data) return;
    for (const key of Object.keys(data)) {
      if (key === 'cookie' || RESERVED.has(key)) continue;
      this[key] = data[key];
    }
  }
}
