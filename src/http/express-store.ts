/**
 * An `express-session` store over any Tessera session store, so an existing
 * express-session application moves to Tessera's Redis (over mutual TLS) by
 * changing its `store:` line:
 *
 * ```js
 * app.use(session({ secret, resave: false, saveUninitialized: false,
 *   store: new TesseraExpressStore(await RedisSessionStore.connect(connectionString)) }));
 * ```
 *
 * The whole Store API, each method with a callback or, without one, returning a
 * promise (as connect-redis 9): `get`, `set`, `destroy`, `touch`, `all`, `length`,
 * `clear`, `ids`. A promise that nobody awaits never becomes an unhandled rejection.
 *
 * Each top-level property of the session (including express-session's `cookie`)
 * is one item. A `set` of an object the store has seen for that id (what `get`
 * returned, the `req.session` express-session made from it, or an object given to
 * `set` before) writes only the properties that changed since, and
 * only while that session still exists: concurrent requests of one session that
 * change different properties keep both changes, and a session destroyed meanwhile
 * stays destroyed — that `set` fails with `TESSERA_SESSION_ABANDONED` rather than
 * report a save that did not happen. Any other `set` replaces the session (creates
 * it, or overwrites every property). What was loaded is remembered per object and
 * per id, so a `regenerate` (a new `req.session` with a new id) starts afresh.
 *
 * Lifetime, as express-session computes it: until `cookie.expires` (else for
 * `cookie.maxAge` ms; else the store's `timeoutMinutes`), applied by every `set` and
 * `touch` (express-session ends each request with one of them); `get` does not
 * extend it. An expiry in the past deletes the session; `get` deletes a session
 * whose stored cookie has expired.
 *
 * **Beyond the documented Store API: one method, `createSession`.** express-session
 * documents `get`, `set`, `destroy`, `touch`, `all`, `length` and `clear`. It turns
 * what `get` returned into `req.session` through `Store.prototype.createSession(req,
 * data)` (express-session's `index.js` and `session/store.js`, unchanged since 1.0),
 * whose `Session` constructor copies the properties into a new object: the object
 * later handed to `set`. Overriding `createSession` (and calling the original) is the
 * only place where the loaded object and that `req.session` meet, and knowing what
 * was loaded is what lets `set` write only the changed properties; no other internal
 * (`Session.req`, the session's id property) is read. Tested with express-session
 * 1.19.0 (`test/http/express.test.ts`: "keeps both changes of two concurrent requests"
 * fails if the override stops being called). Should a later version stop calling
 * it, nothing breaks but that: every `set` becomes a replacement, as with
 * connect-redis, and two concurrent requests that change different properties then
 * keep only the last one's.
 *
 * What express-session itself still cannot do: lock the session (concurrent
 * requests of one user can overwrite each other's change of the same property), or
 * fail with a 503 by itself. `sessionMiddleware` does both.
 */

import type { Session, SessionData } from 'express-session';
import { Store } from 'express-session';
import { quoteInput } from '../errors.ts';
import {
  emitSessionEvent,
  principalOf,
  resolveSessionOptions,
  SESSION_DEFAULTS,
  SessionError,
  SessionItems,
  type SessionKey,
  type SessionPrincipal,
  type SessionStore,
  typeName,
} from '../session/index.ts';

export interface TesseraExpressStoreOptions {
  /** Names the application in the store's keys (default `app`). */
  readonly appKey?: string;
  /** Sliding expiry when the session cookie has no expiry (default 20). */
  readonly timeoutMinutes?: number;
  /**
   * Sessions asked of the store per round trip by `all`, `length`, `clear` and
   * `ids` (the `COUNT` of each Redis `SCAN`; default 100). Like connect-redis's
   * `scanCount`.
   */
  readonly listPageSize?: number;
  /**
   * The session's principal, from its properties, e.g. Passport's
   * `(session) => session.passport?.user` (a string; `null` or `undefined`: none).
   * Kept with the session at each `set`, with the front-end's name and the request's
   * `User-Agent`, so `PrincipalSessions` lists and logs out the user's sessions.
   * Default: none.
   */
  readonly principal?: ((session: SessionData) => string | null | undefined) | undefined;
}

export const EXPRESS_STORE_DEFAULTS = {
  listPageSize: 100,
} as const satisfies TesseraExpressStoreOptions;

type Callback<T = void> = (error: unknown, value?: T) => void;

/** A session as `all` returns it: its properties and its `id` (as connect-redis). */
export type ListedSessionData = SessionData & { readonly id: string };

/** What one object handed to or by the store was last loaded or saved as, and under which id. */
interface Known {
  readonly id: string;
  readonly items: ReadonlyMap<string, string>;
  /** The principal's name those items give (with the `principal` option). */
  readonly principal: string | null;
}

/** The session's `cookie` as stored or handed to `set`: a `Cookie`, or its JSON. */
interface CookieLike {
  readonly expires?: Date | string | null;
  readonly maxAge?: number | null;
}

export class TesseraExpressStore extends Store {
  readonly #store: SessionStore;
  readonly #appKey: string;
  readonly #timeoutMinutes: number;
  readonly #listPageSize: number;
  readonly #principalOf: ((session: SessionData) => string | null | undefined) | undefined;
  /**
   * Items as loaded or last saved, by the object `get` returned, then by the
   * `req.session` express-session made of it. Keyed by object and checked against
   * the id, never by request: after `regenerate` the request's new session (a new
   * object, a new id) has no entry and is created.
   */
  readonly #known = new WeakMap<object, Known>();

  constructor(store: SessionStore, options: TesseraExpressStoreOptions = {}) {
    super();
    const { listPageSize = EXPRESS_STORE_DEFAULTS.listPageSize, principal, ...sessionOptions } = options;
    const resolved = resolveSessionOptions(sessionOptions);
    if (!Number.isInteger(listPageSize) || listPageSize < 1) {
      throw new SessionError(
        'TESSERA_SESSION_OPTIONS',
        `TesseraExpressStore option listPageSize must be a whole number of sessions, 1 or more (got ${quoteInput(String(listPageSize))}).`,
      );
    }
    this.#store = store;
    this.#appKey = resolved.appKey;
    this.#timeoutMinutes = resolved.timeoutMinutes;
    this.#listPageSize = listPageSize;
    if (principal !== undefined && typeof principal !== 'function') {
      throw new SessionError(
        'TESSERA_SESSION_OPTIONS',
        `TesseraExpressStore option principal must be a function of the session returning the user's name, e.g. (session) => session.passport?.user (got ${typeName(principal)}).`,
      );
    }
    this.#principalOf = principal;
  }

  /** The session, or `null` when it does not exist or its cookie has expired (then it is deleted). */
  override get(sid: string): Promise<SessionData | null>;
  override get(sid: string, callback: Callback<SessionData | null>): void;
  override get(
    sid: string,
    callback?: Callback<SessionData | null>,
  ): Promise<SessionData | null> | undefined {
    return answer(this.#get(sid), callback);
  }

  /** Stores the session (see the class comment: changes only, or a replacement); resolves once written. */
  override set(sid: string, session: SessionData): Promise<void>;
  override set(sid: string, session: SessionData, callback: Callback): void;
  override set(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
    return answer(this.#set(sid, session), callback);
  }

  /** Deletes the session for good; a slower request's `set` cannot bring it back. */
  override destroy(sid: string): Promise<void>;
  override destroy(sid: string, callback: Callback): void;
  override destroy(sid: string, callback?: Callback): Promise<void> | undefined {
    const key = this.#key(sid);
    const destroyed = this.#provider
      .abandon(key)
      .then(() => emitSessionEvent(this.#provider, 'destroyed', { ...key, cause: 'abandon' }));
    return answer(destroyed, callback);
  }

  /**
   * Applies the given session's expiry (and stores its cookie) without writing its
   * other properties; an expiry in the past deletes it. A session that no longer
   * exists is not created again.
   */
  override touch(sid: string, session: SessionData): Promise<void>;
  override touch(sid: string, session: SessionData, callback: Callback): void;
  override touch(sid: string, session: SessionData, callback?: Callback): Promise<void> | undefined {
    return answer(this.#touch(sid, session), callback);
  }

  /** Every session of the application, each with its `id`. Costs a walk of the store (see `listPageSize`). */
  override all(): Promise<ListedSessionData[]>;
  override all(callback: Callback<ListedSessionData[]>): void;
  override all(callback?: Callback<ListedSessionData[]>): Promise<ListedSessionData[]> | undefined {
    return answer(this.#all(), callback);
  }

  /** How many sessions the application has. Costs a walk of the store. */
  override length(): Promise<number>;
  override length(callback: Callback<number>): void;
  override length(callback?: Callback<number>): Promise<number> | undefined {
    return answer(
      this.#ids().then((ids) => ids.length),
      callback,
    );
  }

  /** Deletes every session of the application, as `destroy` does each. Costs a walk of the store. */
  override clear(): Promise<void>;
  override clear(callback: Callback): void;
  override clear(callback?: Callback): Promise<void> | undefined {
    return answer(this.#clear(), callback);
  }

  /** The ids of the application's sessions. Costs a walk of the store. */
  ids(): Promise<string[]>;
  ids(callback: Callback<string[]>): void;
  ids(callback?: Callback<string[]>): Promise<string[]> | undefined {
    return answer(this.#ids(), callback);
  }

  /**
   * express-session turns what `get` returned into `req.session` here: what was
   * loaded follows (see the class comment for why this one undocumented method).
   */
  override createSession(
    req: Parameters<Store['createSession']>[0],
    session: SessionData,
  ): Session & SessionData {
    const known = this.#known.get(session);
    const created = super.createSession(req, session);
    if (known?.id === created.id) this.#known.set(created, known);
    return created;
  }

  get #provider() {
    return this.#store.provider;
  }

  #key(sid: string): SessionKey {
    return { appKey: this.#appKey, id: sid };
  }

  async #get(sid: string): Promise<SessionData | null> {
    // No sliding here: express-session ends each request with `set` or `touch`, which
    // apply the cookie's lifetime; the store's expiry then always is the cookie's.
    const load = await this.#provider.peek(this.#key(sid));
    if (load.state === 'missing') return null;
    const session = await this.#inflate(sid, load.session.items);
    if (session)
      this.#known.set(session, { id: sid, items: load.session.items, principal: this.#nameOf(session) });
    return session;
  }

  /** The session's properties, or `null` after deleting it when its cookie has expired. */
  async #inflate(sid: string, stored: ReadonlyMap<string, string>): Promise<SessionData | null> {
    const items = new SessionItems(this.#provider.name, stored);
    const session: Record<string, unknown> = {};
    // Defined, not assigned: an item named `__proto__` stays a plain property.
    for (const name of items.names())
      Object.defineProperty(session, name, {
        value: items.get(name),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    const left = lifetimeMs(session.cookie);
    if (left !== undefined && left <= 0) {
      await this.#provider.abandon(this.#key(sid));
      return null;
    }
    return session as unknown as SessionData;
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    const timeoutMinutes = this.#timeoutOf(session);
    const key = this.#key(sid);
    if (timeoutMinutes === undefined) return this.#provider.abandon(key);
    const items = new SessionItems(this.#provider.name);
    for (const [name, value] of Object.entries(session)) items.set(name, value);
    const serialized = items.serializedAll();
    const known = this.#known.get(session);
    const name = this.#nameOf(session);
    const principal = this.#principalOf && (name === null ? null : principalOf(name, userAgentOf(session)));
    if (known?.id === sid) {
      const changed = this.#principalOf && name !== known.principal ? principal : undefined;
      await this.#saveChanges(key, known.items, serialized, timeoutMinutes, changed);
    } else {
      await this.#replace(key, serialized, timeoutMinutes, principal);
    }
    // A later `save()` of the same object writes only what changed after this one.
    this.#known.set(session, { id: sid, items: serialized, principal: name });
  }

  /** Writes what changed since `known`, only while the session exists. */
  async #saveChanges(
    key: SessionKey,
    known: ReadonlyMap<string, string>,
    serialized: ReadonlyMap<string, string>,
    timeoutMinutes: number,
    principal: SessionPrincipal | null | undefined,
  ): Promise<void> {
    const set = new Map([...serialized].filter(([name, value]) => known.get(name) !== value));
    const remove = [...known.keys()].filter((name) => !serialized.has(name));
    const saved = await this.#provider.save(key, { set, remove, timeoutMinutes, principal }, NO_LOCK);
    if (saved.state !== 'saved') throw gone();
  }

  /**
   * Creates the session, or overwrites every property of the one stored. Not atomic
   * with a concurrent writer of the same id: a property it adds between the read and
   * the write survives.
   */
  async #replace(
    key: SessionKey,
    serialized: ReadonlyMap<string, string>,
    timeoutMinutes: number,
    principal: SessionPrincipal | null | undefined,
  ) {
    // A session deleted between the read and the write is created again, at most twice.
    for (let attempt = 0; attempt < 3; attempt++) {
      const created = await this.#provider.create(
        key,
        { items: serialized, timeoutMinutes, absoluteLifetimeMs: null, principal },
        UNLOCKED,
      );
      if (created.state === 'created') return;
      const stored = await this.#provider.peek(key);
      if (stored.state === 'missing') continue;
      const remove = [...stored.session.items.keys()].filter((name) => !serialized.has(name));
      const saved = await this.#provider.save(
        key,
        { set: serialized, remove, timeoutMinutes, principal },
        NO_LOCK,
      );
      if (saved.state === 'saved') return;
    }
    throw gone();
  }

  async #touch(sid: string, session: SessionData): Promise<void> {
    const timeoutMinutes = this.#timeoutOf(session);
    const key = this.#key(sid);
    if (timeoutMinutes === undefined) return this.#provider.abandon(key);
    const items = new SessionItems(this.#provider.name);
    if (session.cookie !== undefined) items.set('cookie', session.cookie);
    // `missing`: destroyed meanwhile; touching never brings a session back.
    await this.#provider.save(key, { set: items.serializedAll(), remove: [], timeoutMinutes }, NO_LOCK);
  }

  async #ids(): Promise<string[]> {
    const ids = new Set<string>();
    for await (const page of this.#provider.listIds(this.#appKey, { pageSize: this.#listPageSize }))
      for (const id of page) ids.add(id);
    return [...ids];
  }

  async #all(): Promise<ListedSessionData[]> {
    const sessions = new Map<string, ListedSessionData>();
    for await (const page of this.#provider.listIds(this.#appKey, { pageSize: this.#listPageSize })) {
      const loads = await Promise.all(page.map((id) => this.#provider.peek(this.#key(id))));
      for (const [index, load] of loads.entries()) {
        const id = page[index]!;
        if (load.state === 'missing') continue;
        const session = await this.#inflate(id, load.session.items);
        if (session) sessions.set(id, { ...session, id });
      }
    }
    return [...sessions.values()];
  }

  async #clear(): Promise<void> {
    for await (const page of this.#provider.listIds(this.#appKey, { pageSize: this.#listPageSize }))
      await Promise.all(page.map((id) => this.#provider.abandon(this.#key(id))));
  }

  /** The principal's name the `principal` option gives for `session` (`null`: none, or no option). */
  #nameOf(session: SessionData): string | null {
    return this.#principalOf?.(session) ?? null;
  }

  /** The sliding timeout the session's cookie asks for, in minutes; `undefined` when it has expired. */
  #timeoutOf(session: SessionData): number | undefined {
    const left = lifetimeMs(session.cookie);
    if (left === undefined) return this.#timeoutMinutes;
    return left > 0 ? left / 60_000 : undefined;
  }
}

/** Saves of express-session's requests: they hold no lock, so they write only their changes. */
const NO_LOCK = { lockToken: null, expectedVersion: null, releaseLock: false } as const;

/** Creates take no lock either (the timeout only applies to a lock taken with a token). */
const UNLOCKED = { lockToken: null, lockTimeoutMs: SESSION_DEFAULTS.requestTimeoutMs } as const;

/**
 * Milliseconds the session has left, as express-session computes it: until
 * `cookie.expires`, else `cookie.maxAge`; `undefined` for a browser-session cookie
 * (neither set).
 */
function lifetimeMs(cookie: unknown): number | undefined {
  if (typeof cookie !== 'object' || cookie === null) return undefined;
  const { expires, maxAge } = cookie as CookieLike;
  // Only a date counts: `expires: false` (older express-session) means a browser-session cookie.
  if (expires instanceof Date || typeof expires === 'string') {
    const at = new Date(expires).getTime();
    if (Number.isFinite(at)) return at - Date.now();
  }
  return typeof maxAge === 'number' ? maxAge : undefined;
}

/** express-session's `req.session` carries its request (not enumerable): the `User-Agent` to keep with a principal. */
function userAgentOf(session: SessionData): string | undefined {
  const req = (session as { req?: { headers?: Record<string, unknown> } }).req;
  const agent = req?.headers?.['user-agent'];
  return typeof agent === 'string' ? agent : undefined;
}

function gone(): SessionError {
  return new SessionError(
    'TESSERA_SESSION_ABANDONED',
    'The session was destroyed or expired before this save reached the store; nothing was written and it stays gone. The next request starts a new session.',
  );
}

/**
 * With a callback, answers through it, once, outside the promise chain (an
 * exception thrown by the callback is the caller's, not a rejection). Without
 * one, returns the promise, marked as handled: a caller that never awaits it
 * (express-session's `destroy()` without a callback) loses the error but does not
 * end the process with an unhandled rejection.
 */
function answer<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<T> | undefined {
  if (callback === undefined) {
    work.catch(() => {});
    return work;
  }
  work.then(
    (value) => process.nextTick(callback, null, value),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}
