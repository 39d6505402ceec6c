/**
 * `req.session`: the items of the session as properties (`req.session.cart = …`),
 * like express-session, plus the session's controls. Reading an item parses it on
 * first use; every change is saved when the response ends.
 */
import { type ActiveSession, principalOf, SessionError } from '../session/index.ts';
import type { CookieSettings } from './cookies.ts';
import { COOKIE_ITEM, SessionCookie } from './session-cookie.ts';

type Callback = (error?: unknown) => void;

/** The controls of `req.session`; these names cannot be item names. */
export interface SessionControls {
  /** The session id (changes after `regenerate` and `changeId`). */
  readonly id: string;
  /** True until the session is first saved to the store. */
  readonly isNew: boolean;
  /** Sliding expiry of this session in minutes; setting it persists the new value. */
  timeout: number;
  /**
   * The session cookie: `maxAge` / `expires` (a persistent cookie whose lifetime is
   * the session's timeout), `path`, `domain`, `secure`, `sameSite`, `httpOnly`,
   * `partitioned`. Changes are kept with the session.
   */
  readonly cookie: SessionCookie;
  /**
   * As express-session: deletes the stored session and continues with an empty one
   * under a new id (Passport's logout and login call it).
   */
  regenerate(callback?: Callback): Promise<void>;
  /** Moves the session to a new id, keeping its items and lifetime (call at login). */
  changeId(callback?: Callback): Promise<void>;
  /** Abandons the session (express-session's name). */
  destroy(callback?: Callback): Promise<void>;
  /** Deletes the session for good; a concurrent slower request cannot bring it back. */
  abandon(callback?: Callback): Promise<void>;
  /** Loads the session again from the store, dropping unsaved changes. */
  reload(callback?: Callback): Promise<void>;
  /** Saves now (it is saved at the end of the response in any case). */
  save(callback?: Callback): Promise<void>;
  /** Slides the expiry again when the request ends. */
  touch(): SessionControls;
  /**
   * Names the signed-in user of this session (`null` clears it), saved with the
   * session; `PrincipalSessions` then lists and logs out the user's sessions. The
   * front-end server's name and the request's `User-Agent` are kept with it.
   */
  setPrincipal(name: string | null): SessionControls;
}

/**
 * The application's session items, for TypeScript. Empty here; an application
 * declares its own, as with express-session:
 *
 * ```ts
 * declare module 'tessera' {
 *   interface SessionData { cart: Cart; userId: string }
 * }
 * ```
 *
 * `req.session.cart` is then a `Cart | undefined` with `sessionMiddleware` (node:http,
 * Express) and the Fastify plugin; items not declared stay `unknown`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: declared empty so that applications can merge their items into it.
export interface SessionData {}

/** `req.session`: controls plus items, typed by `SessionData` (or give `Items`). */
export type HttpSession<Items extends object = Partial<SessionData> & Record<string, unknown>> =
  SessionControls & Items;

export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'id',
  'isNew',
  'timeout',
  COOKIE_ITEM,
  'regenerate',
  'changeId',
  'destroy',
  'abandon',
  'reload',
  'save',
  'touch',
  'setPrincipal',
]);

class Controls implements SessionControls {
  readonly #active: ActiveSession;
  readonly cookie: SessionCookie;
  readonly #userAgent: string | undefined;

  constructor(active: ActiveSession, cookie: SessionCookie, userAgent: string | undefined) {
    this.#active = active;
    this.cookie = cookie;
    this.#userAgent = userAgent;
  }

  get id(): string {
    return this.#active.id;
  }

  get isNew(): boolean {
    return this.#active.isNew;
  }

  get timeout(): number {
    return this.#active.timeoutMinutes;
  }

  set timeout(minutes: number) {
    this.#active.timeoutMinutes = minutes;
  }

  regenerate(callback?: Callback): Promise<void> {
    return settle(this.#active.regenerate(), callback);
  }

  changeId(callback?: Callback): Promise<void> {
    return settle(this.#active.changeId(), callback);
  }

  destroy(callback?: Callback): Promise<void> {
    return settle(this.#active.abandon(), callback);
  }

  abandon(callback?: Callback): Promise<void> {
    return settle(this.#active.abandon(), callback);
  }

  reload(callback?: Callback): Promise<void> {
    return settle(this.#active.reload(), callback);
  }

  save(callback?: Callback): Promise<void> {
    return settle(this.#active.save(), callback);
  }

  touch(): SessionControls {
    this.#active.touch();
    return this;
  }

  setPrincipal(name: string | null): SessionControls {
    this.#active.setPrincipal(name === null ? null : principalOf(name, this.#userAgent));
    return this;
  }
}

/** With a callback, errors go to it and the promise always resolves (no unhandled rejection). */
function settle(promise: Promise<void>, callback: Callback | undefined): Promise<void> {
  if (!callback) return promise;
  return promise.then(
    () => callback(),
    (error: unknown) => callback(error),
  );
}

/** The `Set-Cookie` value the response carrying `session` must send, if any. */
export function sessionSetCookie(session: HttpSession, secureRequest: boolean): string | undefined {
  return cookies.get(session)?.header(secureRequest);
}

const cookies = new WeakMap<object, SessionCookie>();

/** Wraps a request's active session as `req.session`; `userAgent` is the request's, kept with a principal. */
export function createHttpSession(
  active: ActiveSession,
  settings: CookieSettings,
  defaultTimeoutMinutes: number,
  userAgent?: string,
): HttpSession {
  const cookie = new SessionCookie(active, settings, defaultTimeoutMinutes);
  const controls = new Controls(active, cookie, userAgent);
  const bound = new Map<string | symbol, unknown>();
  const isControl = (property: string | symbol) =>
    typeof property === 'symbol' || RESERVED_NAMES.has(property);
  const session = new Proxy(controls, {
    get(target, property) {
      if (!isControl(property)) return active.get(property as string);
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (!method) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
    set(target, property, value) {
      if (property === 'timeout') return Reflect.set(target, property, value, target);
      if (isControl(property)) {
        throw new SessionError(
          'TESSERA_SESSION_ITEM_NAME',
          `"${String(property)}" cannot be a session item name: it is part of req.session (${[...RESERVED_NAMES].join(', ')}). Choose another name.`,
        );
      }
      active.set(property as string, value);
      return true;
    },
    deleteProperty(_target, property) {
      if (!isControl(property)) active.delete(property as string);
      return true;
    },
    has(target, property) {
      return isControl(property) ? Reflect.has(target, property) : active.has(property as string);
    },
    ownKeys() {
      return active.names().filter((name) => !RESERVED_NAMES.has(name));
    },
    getOwnPropertyDescriptor(_target, property) {
      if (isControl(property) || !active.has(property as string)) return undefined;
      return { value: active.get(property as string), writable: true, enumerable: true, configurable: true };
    },
    defineProperty(_target, property, descriptor) {
      if (isControl(property) || !('value' in descriptor)) return false;
      active.set(property as string, descriptor.value);
      return true;
    },
  }) as unknown as HttpSession;
  cookies.set(session, cookie);
  return session;
}
