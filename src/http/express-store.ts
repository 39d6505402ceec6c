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
 * Each top-level property of the session (including express-session's `cookie`)
 * is one item, and a `set` writes only the properties that changed since the
 * `get` of the same request (each request's loaded items are remembered with its
 * `req`, so concurrent requests of one session that change different properties
 * keep both changes). What express-session itself still cannot do: lock
 * the session (concurrent requests of one user can overwrite each other's change
 * of the same property), let a slower request see an abandon (its `set` writes
 * again only if the session still exists — Tessera refuses to resurrect it), or
 * fail with a 503 by itself. `sessionMiddleware` does all three.
 */

import type { Session, SessionData } from 'express-session';
import { Store } from 'express-session';
import { resolveSessionOptions, SessionItems, type SessionKey, type SessionStore } from '../session/index.ts';

export interface TesseraExpressStoreOptions {
  /** Names the application in the store's keys (default `app`). */
  readonly appKey?: string;
  /** Sliding expiry when the session cookie has no maxAge (default 20). */
  readonly timeoutMinutes?: number;
}

type Callback<T = void> = (error: unknown, value?: T) => void;

export class TesseraExpressStore extends Store {
  readonly #store: SessionStore;
  readonly #appKey: string;
  readonly #timeoutMinutes: number;
  /** Items as `get` loaded them, by the object it handed to express-session. */
  readonly #loadedBySession = new WeakMap<object, ReadonlyMap<string, string>>();
  /** The same, moved to the request by `createSession`, so `set` writes only what this request changed. */
  readonly #loadedByRequest = new WeakMap<object, ReadonlyMap<string, string>>();

  constructor(store: SessionStore, options: TesseraExpressStoreOptions = {}) {
    super();
    const resolved = resolveSessionOptions(options);
    this.#store = store;
    this.#appKey = resolved.appKey;
    this.#timeoutMinutes = resolved.timeoutMinutes;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    void this.#provider
      .loadReadOnly(this.#key(sid))
      .then((load) => {
        if (load.state === 'missing') return callback(null, null);
        const items = new SessionItems(this.#provider.name, load.session.items);
        const session: Record<string, unknown> = {};
        for (const name of items.names()) session[name] = items.get(name);
        this.#loadedBySession.set(session, load.session.items);
        callback(null, session as unknown as SessionData);
      })
      .catch((error: unknown) => callback(error));
  }

  /** express-session turns what `get` returned into `req.session` here: the request's loaded items follow. */
  override createSession(
    req: Parameters<Store['createSession']>[0],
    session: SessionData,
  ): Session & SessionData {
    const loaded = this.#loadedBySession.get(session);
    const created = super.createSession(req, session);
    if (loaded) this.#loadedByRequest.set(req, loaded);
    return created;
  }

  override set(sid: string, session: SessionData, callback?: Callback): void {
    void this.#set(sid, session).then(
      () => callback?.(null),
      (error: unknown) => callback?.(error),
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    void this.#provider.abandon(this.#key(sid)).then(
      () => callback?.(null),
      (error: unknown) => callback?.(error),
    );
  }

  override touch(sid: string, _session: SessionData, callback?: () => void): void {
    void this.#provider.touch(this.#key(sid)).then(
      () => callback?.(),
      (error: unknown) => (callback as Callback | undefined)?.(error),
    );
  }

  get #provider() {
    return this.#store.provider;
  }

  #key(sid: string): SessionKey {
    return { appKey: this.#appKey, id: sid };
  }

  async #set(sid: string, session: SessionData): Promise<void> {
    const items = new SessionItems(this.#provider.name);
    for (const [name, value] of Object.entries(session)) items.set(name, value);
    const serialized = items.serializedAll();
    const maxAgeMs = session.cookie?.originalMaxAge;
    const timeoutMinutes =
      typeof maxAgeMs === 'number' && maxAgeMs > 0 ? maxAgeMs / 60_000 : this.#timeoutMinutes;
    const key = this.#key(sid);
    // `req.session` keeps its request (express-session's Session.req).
    const req = (session as { req?: object }).req;
    const known = req ? this.#loadedByRequest.get(req) : undefined;
    // A later `save()` of the same request writes only what changed after this one.
    const remember = () => req && this.#loadedByRequest.set(req, serialized);
    if (!known) {
      // Not loaded by `get`: a new session of express-session.
      const created = await this.#provider.create(
        key,
        { items: serialized, timeoutMinutes, absoluteLifetimeMs: null },
        { lockToken: null, lockTimeoutMs: 1 },
      );
      if (created.state === 'created') return void remember();
    }
    const set = new Map([...serialized].filter(([name, value]) => known?.get(name) !== value));
    const remove = known ? [...known.keys()].filter((name) => !serialized.has(name)) : [];
    // A session destroyed since `get` stays destroyed: the save finds it missing and writes nothing.
    await this.#provider.save(
      key,
      { set, remove, timeoutMinutes },
      { lockToken: null, expectedVersion: null, releaseLock: false },
    );
    remember();
  }
}
