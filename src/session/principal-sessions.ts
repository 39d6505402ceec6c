/**
 * A user's sessions, found by the principal the application set at sign-in
 * (`req.session.setPrincipal('alice')`): list them ("where am I signed in?"),
 * destroy them all ("log out everywhere", after a password change), or all but the
 * current one ("log out my other sessions").
 *
 * ```js
 * const sessions = new PrincipalSessions(store, { appKey: 'shop' });
 * await sessions.list('alice');                     // [{ id, createdAt, lastAccessAt, … }]
 * await sessions.logOutOthers('alice', req.session.id);
 * ```
 */

import type { DestroyCause } from './diagnostics.ts';
import { checkPrincipalName } from './principal.ts';
import { emitSessionEvent } from './session-events.ts';
import { resolveSessionOptions } from './session-options.ts';
import type { SessionProvider } from './session-provider.ts';
import type { SessionStore } from './session-store.ts';

/** One of a principal's sessions. */
export interface PrincipalSession {
  readonly id: string;
  readonly createdAt: Date;
  /** When it was last used; `null` once its absolute lifetime, not its sliding expiry, ends it. */
  readonly lastAccessAt: Date | null;
  /** When it ends if not used again. */
  readonly expiresAt: Date;
  /** The front-end server whose request set the principal (the sign-in). */
  readonly frontEnd: string | null;
  /** That request's `User-Agent`. */
  readonly userAgent: string | null;
}

export class PrincipalSessions {
  readonly #provider: SessionProvider;
  readonly #appKey: string;

  /** `appKey`: the application whose sessions are meant, as given to `sessionMiddleware` (default `app`). */
  constructor(store: SessionStore, options: { readonly appKey?: string | undefined } = {}) {
    this.#provider = store.provider;
    this.#appKey = resolveSessionOptions({ appKey: options.appKey }).appKey;
  }

  /** The principal's live sessions, oldest first. Extends none of them. */
  async list(principal: string): Promise<PrincipalSession[]> {
    const records = await this.#provider.listByPrincipal(this.#appKey, checkPrincipalName(principal));
    return records.map((record) => ({
      id: record.id,
      createdAt: new Date(record.createdAtMs),
      lastAccessAt: record.lastAccessAtMs === null ? null : new Date(record.lastAccessAtMs),
      expiresAt: new Date(record.expiresAtMs),
      frontEnd: record.frontEnd,
      userAgent: record.userAgent,
    }));
  }

  /**
   * Destroys every session of the principal, as `req.session.abandon()` does each
   * (a slower request of one of them cannot bring it back); resolves to how many.
   * A session signed in while this runs may survive it: call it after the change
   * that must log the user out (a new password), not before.
   */
  logOutEverywhere(principal: string): Promise<number> {
    return this.#destroy(principal, undefined, 'log-out-everywhere');
  }

  /** Destroys every session of the principal except `currentId` (the request's own `req.session.id`). */
  logOutOthers(principal: string, currentId: string): Promise<number> {
    return this.#destroy(principal, currentId, 'log-out-others');
  }

  async #destroy(principal: string, except: string | undefined, cause: DestroyCause): Promise<number> {
    const records = await this.#provider.listByPrincipal(this.#appKey, checkPrincipalName(principal));
    const doomed = records.filter((record) => record.id !== except);
    await Promise.all(
      doomed.map(async ({ id }) => {
        await this.#provider.abandon({ appKey: this.#appKey, id });
        emitSessionEvent(this.#provider, 'destroyed', { appKey: this.#appKey, id, cause });
      }),
    );
    return doomed.length;
  }
}
