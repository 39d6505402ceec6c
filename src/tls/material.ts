/**
 * The certificate material of one process: the client certificate, its key and the
 * trusted issuers, as named by the `SERedis_*` variables.
 *
 * Contract:
 * - The variables are read once, by `fromEnvironment`; the files they name are read
 *   lazily, on the first `secureContext()` or `report()`.
 * - One SecureContext is built per *version* of the files (path, inode, size,
 *   modification time). Files are re-stat'ed at most once per `recheckIntervalMs`,
 *   when a connection starts; a change is picked up by the next connection, no
 *   restart. No connection ever builds its own context.
 * - When changed files cannot be used (say, a PFX copied over half-written), new
 *   connections keep the last good version; the report says so, and
 *   `tessera:tls:material-failed` is published.
 * - The password never leaves this layer: not in errors, reports, events or logs.
 */

import { performance } from 'node:perf_hooks';
import type { SecureContext, SecureVersion } from 'node:tls';
import { definedOnly } from '../defined-only.ts';
import { quoteInput } from '../errors.ts';
import { oneLine } from './certificate-info.ts';
import { publishFailed, publishLoaded } from './diagnostics.ts';
import { type Evaluation, evaluate, materialStamp } from './evaluation.ts';
import { buildReport, type TlsReport } from './report.ts';
import { readTlsVariables, type TlsEnvironment, type TlsVariables } from './variables.ts';

export interface TlsMaterialOptions {
  /** Whether Use SSL is on. The client certificate is mandatory then; when off, its absence is no problem in the report. */
  readonly ssl?: boolean;
  /** How long a check of the files' stamps stays fresh. 0 checks on every connection. */
  readonly recheckIntervalMs?: number;
  /** A client certificate that expires within this many days is a warning in the report. */
  readonly expiryWarningDays?: number;
  /**
   * TLS versions allowed (the connection string's `sslProtocols`). They belong to the
   * SecureContext: Node ignores `minVersion`/`maxVersion` given to `tls.connect`
   * together with a `secureContext`. Default: Node's (TLS 1.2 to 1.3).
   */
  readonly minVersion?: SecureVersion | undefined;
  readonly maxVersion?: SecureVersion | undefined;
}

export const TLS_MATERIAL_DEFAULTS = Object.freeze({
  ssl: true,
  recheckIntervalMs: 1000,
  expiryWarningDays: 30,
}) satisfies Omit<Required<TlsMaterialOptions>, 'minVersion' | 'maxVersion'>;

type ResolvedOptions = Readonly<Omit<Required<TlsMaterialOptions>, 'minVersion' | 'maxVersion'>> &
  Pick<TlsMaterialOptions, 'minVersion' | 'maxVersion'>;

export class TlsMaterial {
  readonly #variables: TlsVariables;
  readonly #options: ResolvedOptions;
  /** The stable object handed to `tls.connect`; see `secureContext()`. */
  readonly #live: SecureContext;
  /** The latest version evaluated, usable or not. */
  #current: Evaluation | undefined;
  /** The latest usable version: what new connections get. */
  #inUse: Evaluation | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;

  /** Reads the `SERedis_*` variables from `env` (default `process.env`). Reads no file yet. */
  static fromEnvironment(env: TlsEnvironment = process.env, options: TlsMaterialOptions = {}): TlsMaterial {
    return new TlsMaterial(readTlsVariables(env), options);
  }

  private constructor(variables: TlsVariables, options: TlsMaterialOptions) {
    const merged = { ...TLS_MATERIAL_DEFAULTS, ...definedOnly(options) };
    if (!Number.isFinite(merged.recheckIntervalMs) || merged.recheckIntervalMs < 0) {
      throw new RangeError(
        `recheckIntervalMs must be a number of milliseconds ≥ 0, not ${quoteInput(String(merged.recheckIntervalMs))}`,
      );
    }
    if (!Number.isFinite(merged.expiryWarningDays) || merged.expiryWarningDays < 0) {
      throw new RangeError(
        `expiryWarningDays must be a number of days ≥ 0, not ${quoteInput(String(merged.expiryWarningDays))}`,
      );
    }
    this.#variables = variables;
    this.#options = Object.freeze(merged);
    const usable = () => this.#usable();
    // Node reads `secureContext.context` when each socket is wrapped (lib/_tls_wrap.js,
    // TLSSocket.prototype._wrapHandle: `tls_wrap.wrap(handle, context.context, …)`), and
    // node-redis copies its socket options once, when the client is created. A plain
    // SecureContext given to it would be fixed for the life of the client; this object,
    // whose `context` is a getter, makes every new connection use the current version.
    // It has no `singleUse`, so Node never closes the shared native context.
    this.#live = Object.freeze({
      get context(): unknown {
        return usable().context;
      },
    }) as SecureContext;
  }

  /**
   * The SecureContext to give `tls.connect` (or node-redis's `socket`), loading the
   * files if needed. It is one stable object for the life of this material: each new
   * connection gets the current version of the files. Throws the first TlsError when
   * no version of the files has ever been usable.
   */
  secureContext(): SecureContext {
    this.#usable();
    return this.#live;
  }

  /** Everything the tools show, checking the files again now. Never throws for a material problem. */
  report(): TlsReport {
    this.#refresh(true);
    const current = this.#current as Evaluation;
    return buildReport({
      variables: this.#variables,
      ssl: this.#options.ssl,
      expiryWarningDays: this.#options.expiryWarningDays,
      current,
      inUse: this.#inUse,
      now: new Date(),
    });
  }

  #usable(): SecureContext {
    const current = this.#refresh(false);
    const context = current.context ?? this.#inUse?.context;
    if (!context) throw current.errors[0] ?? new Error('The TLS material could not be loaded.');
    return context;
  }

  #refresh(force: boolean): Evaluation {
    const now = performance.now();
    if (this.#current && !force && now - this.#checkedAt < this.#options.recheckIntervalMs)
      return this.#current;
    this.#checkedAt = now;
    const stamp = materialStamp(this.#variables);
    if (this.#current?.stamp === stamp) return this.#current;

    const { minVersion, maxVersion } = this.#options;
    const next = evaluate(this.#variables, stamp, new Date(), {
      ...(minVersion ? { minVersion } : {}),
      ...(maxVersion ? { maxVersion } : {}),
    });
    this.#current = next;
    if (next.context) {
      this.#inUse = next;
      publishLoaded({
        version: next.version,
        loadedWith: next.identity?.loadedWith ?? 'native',
        subject: next.identity ? oneLine(next.identity.certificate.subject) : '',
      });
    } else {
      const [first] = next.errors;
      publishFailed({
        version: next.version,
        code: first?.code,
        message: first?.message ?? 'unknown',
        keptPrevious: this.#inUse !== undefined,
      });
    }
    return next;
  }
}
