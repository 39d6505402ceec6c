/**
 * What a failed call to a networked store (Redis, the platform database) means for
 * a session operation, the same for every provider. The provider says which of its
 * transport's failures are outages and which of those may have reached the store
 * before the answer was lost; `StoreCalls.run` turns them into the session layer's
 * errors:
 *
 * - an outage becomes `STORE_UNAVAILABLE` (nothing was written, retry as it is),
 * - except a call that changes the session and whose answer was lost, which
 *   becomes `OUTCOME_UNKNOWN` (it may have been applied),
 * - anything else (a reply to a malformed command, a permission refused, a bug in
 *   Tessera) propagates as it is, and the request fails with a 500.
 */
import { hasErrorCode } from '../../errors.ts';
import { type Effect, outcomeUnknown, READS, SessionError, storeUnavailable } from '../errors.ts';

/** How a provider's transport fails, matched by code (errors of another copy of the package count too). */
export interface TransportFailures {
  /** The store cannot serve now: down, silent, closed, or refusing for a while. */
  isOutage(error: unknown): boolean;
  /** The call was sent and its answer never came: the store may have run it, or may still. */
  answerLost(error: unknown): boolean;
}

export class StoreCalls {
  /** The store as messages name it (`redis`, `database (PostgreSQL db:5432/tessera)`). */
  readonly #store: string;
  readonly #failures: TransportFailures;

  constructor(store: string, failures: TransportFailures) {
    this.#store = store;
    this.#failures = failures;
  }

  /** Runs `call` for `operation` (as messages say it: `load`, `save`), its failures as described above. */
  async run<T>(operation: string, call: () => Promise<T>, effect: Effect = READS): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SessionError) throw error;
      if (!this.#failures.isOutage(error)) throw error;
      if (effect.writes && this.#failures.answerLost(error))
        throw outcomeUnknown(this.#store, operation, error);
      throw storeUnavailable(this.#store, operation, error);
    }
  }

  /**
   * True when `error`, from `run`, is an outage of a call whose answer was lost (a
   * read reports those as `STORE_UNAVAILABLE` too): a load may have taken the lock
   * nonetheless, and the caller releases what its token may hold.
   */
  mayHaveRun(error: unknown): boolean {
    return isStoreUnavailable(error) && this.#failures.answerLost((error as SessionError).cause);
  }
}

/** `STORE_UNAVAILABLE`: the store could not be reached, and the call can be retried once it can. */
export function isStoreUnavailable(error: unknown): boolean {
  return hasErrorCode(error, 'TESSERA_SESSION_STORE_UNAVAILABLE');
}
