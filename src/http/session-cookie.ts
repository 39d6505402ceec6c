/**
 * `req.session.cookie`: the session cookie's lifetime and attributes, as
 * express-session's `Cookie`, changeable per session ("remember me":
 * `req.session.cookie.maxAge = 30 * 86_400_000`).
 *
 * One lifetime, not two: a persistent cookie's `maxAge` *is* the session's sliding
 * timeout (setting one sets the other), and the cookie is sent again with every
 * response, so the browser's expiry slides with the store's. A browser-session
 * cookie (`maxAge` null, the default) is sent once; the store's `timeoutMinutes`
 * ends the session. What a session changes is kept with it, as the item `cookie`
 * in express-session's field names (`maxAge`, `path`, `domain`, `secure`,
 * `sameSite`, `httpOnly`, `partitioned`), only the fields that differ from the
 * options; `regenerate` starts again from the options.
 */
import { type ActiveSession, SessionError } from '../session/index.ts';
import {
  type CookieAttributes,
  type CookieSettings,
  clearedCookie,
  cookieProblem,
  maxAgeProblem,
  SAME_SITE_VALUES,
  type SameSite,
  sessionCookie,
} from './cookies.ts';

/** The item that keeps a session's cookie changes (a name `req.session` reserves). */
export const COOKIE_ITEM = 'cookie';

/** What a session keeps of its cookie: the fields it changed. */
interface StoredCookie {
  maxAge?: number | null;
  path?: string;
  domain?: string;
  secure?: boolean | 'auto';
  sameSite?: SameSite;
  httpOnly?: boolean;
  partitioned?: boolean;
}

export class SessionCookie {
  readonly #active: ActiveSession;
  readonly #settings: CookieSettings;
  readonly #defaultTimeoutMinutes: number;
  /** Changed by this request: the response sends the cookie again. */
  #changed = false;

  constructor(active: ActiveSession, settings: CookieSettings, defaultTimeoutMinutes: number) {
    this.#active = active;
    this.#settings = settings;
    this.#defaultTimeoutMinutes = defaultTimeoutMinutes;
  }

  /** Ms the cookie (and the session) lasts after this request; `null`: a browser-session cookie. */
  get maxAge(): number | null {
    const stored = this.#stored().maxAge;
    const persistent = stored === undefined ? this.#settings.maxAgeMs !== null : stored !== null;
    return persistent ? Math.round(this.#active.timeoutMinutes * 60_000) : null;
  }

  set maxAge(ms: number | null) {
    if (ms !== null) {
      const problem = maxAgeProblem(ms);
      if (problem) fail(`req.session.cookie.maxAge ${problem}`);
      this.#active.timeoutMinutes = ms / 60_000;
    } else {
      this.#active.timeoutMinutes = this.#defaultTimeoutMinutes;
    }
    this.#change({ maxAge: ms });
  }

  /** express-session's name for the lifetime given: the same as `maxAge` here. */
  get originalMaxAge(): number | null {
    return this.maxAge;
  }

  /** When the cookie (and the session) ends if no request comes; `null`: a browser-session cookie. */
  get expires(): Date | null {
    const maxAge = this.maxAge;
    return maxAge === null ? null : new Date(Date.now() + maxAge);
  }

  set expires(date: Date | null) {
    if (date !== null && !(date instanceof Date && Number.isFinite(date.getTime())))
      fail(`req.session.cookie.expires must be a valid Date or null (got ${String(date)}).`);
    this.maxAge = date === null ? null : date.getTime() - Date.now();
  }

  get path(): string {
    return this.#attributes().path;
  }
  set path(path: string) {
    this.#change({ path });
  }

  get domain(): string | undefined {
    return this.#attributes().domain;
  }
  set domain(domain: string | undefined) {
    this.#change({ domain });
  }

  get secure(): boolean | 'auto' {
    return this.#attributes().secure;
  }
  set secure(secure: boolean | 'auto') {
    this.#change({ secure });
  }

  get sameSite(): SameSite {
    return this.#attributes().sameSite;
  }
  set sameSite(sameSite: SameSite) {
    this.#change({ sameSite });
  }

  get httpOnly(): boolean {
    return this.#attributes().httpOnly;
  }
  set httpOnly(httpOnly: boolean) {
    this.#change({ httpOnly });
  }

  get partitioned(): boolean {
    return this.#attributes().partitioned;
  }
  set partitioned(partitioned: boolean) {
    this.#change({ partitioned });
  }

  toJSON() {
    return { maxAge: this.maxAge, expires: this.expires, ...this.#attributes() };
  }

  /**
   * The `Set-Cookie` value this response sends, or `undefined`: a new id, a
   * cleared cookie, or (for a session that exists) a persistent cookie, which
   * slides, or a cookie this request changed.
   */
  header(secureRequest: boolean): string | undefined {
    const active = this.#active;
    const action = active.cookieAction();
    const attributes = this.#attributes();
    if (action === 'clear') return clearedCookie(this.#settings.name, attributes, secureRequest);
    const maxAge = this.maxAge;
    const resend = !active.isNew && !active.abandoned && (maxAge !== null || this.#changed);
    if (action === 'none' && !resend) return undefined;
    return sessionCookie(this.#settings.name, active.id, attributes, secureRequest, maxAge);
  }

  #attributes(): CookieAttributes {
    const stored = this.#stored();
    const settings = this.#settings;
    return {
      path: stored.path ?? settings.path,
      domain: 'domain' in stored ? stored.domain : settings.domain,
      secure: stored.secure ?? settings.secure,
      sameSite: stored.sameSite ?? settings.sameSite,
      httpOnly: stored.httpOnly ?? settings.httpOnly,
      partitioned: stored.partitioned ?? settings.partitioned,
    };
  }

  /**
   * The session's changes, read leniently: an express-session cookie (its
   * `originalMaxAge`, lower-case or boolean `sameSite`) counts; anything else is
   * ignored rather than break the request.
   */
  #stored(): StoredCookie {
    const item = this.#active.get(COOKIE_ITEM);
    if (typeof item !== 'object' || item === null) return {};
    const raw = item as Record<string, unknown>;
    const stored: StoredCookie = {};
    const maxAge = 'maxAge' in raw ? raw.maxAge : raw.originalMaxAge;
    if (maxAge === null || (typeof maxAge === 'number' && maxAgeProblem(maxAge) === undefined))
      stored.maxAge = maxAge;
    if (typeof raw.path === 'string') stored.path = raw.path;
    if (typeof raw.domain === 'string') stored.domain = raw.domain;
    if (typeof raw.secure === 'boolean' || raw.secure === 'auto') stored.secure = raw.secure;
    const sameSite = raw.sameSite === true ? 'Strict' : raw.sameSite;
    const known = SAME_SITE_VALUES.find((value) => value.toLowerCase() === String(sameSite).toLowerCase());
    if (known) stored.sameSite = known;
    if (typeof raw.httpOnly === 'boolean') stored.httpOnly = raw.httpOnly;
    if (typeof raw.partitioned === 'boolean') stored.partitioned = raw.partitioned;
    return stored;
  }

  #change(change: StoredCookie): void {
    const next: StoredCookie = { ...this.#stored(), ...change };
    const problem = cookieProblem(this.#settings.name, {
      ...this.#settings,
      ...this.#attributesOf(next),
    });
    if (problem) fail(`req.session.${problem}`);
    // Only what differs from the options is kept.
    const kept: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(next) as [keyof StoredCookie, unknown][]) {
      const setting = field === 'maxAge' ? this.#settings.maxAgeMs : this.#settings[field];
      if (value !== setting && !(field === 'maxAge' && value !== null && setting !== null))
        kept[field] = value;
    }
    if (Object.keys(kept).length === 0) this.#active.delete(COOKIE_ITEM);
    else this.#active.set(COOKIE_ITEM, kept);
    this.#changed = true;
  }

  #attributesOf(stored: StoredCookie): Partial<CookieAttributes> {
    const { maxAge: _maxAge, ...attributes } = stored;
    return attributes;
  }
}

function fail(message: string): never {
  throw new SessionError('TESSERA_SESSION_OPTIONS', message);
}
