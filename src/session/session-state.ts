/**
 * Where one request's session stands in the store: the states an `ActiveSession`
 * goes through and the transitions allowed between them, checked in one place.
 * Every store call of `ActiveSession` starts from a state and its outcome is the
 * next state, so that what each method may do in each state reads from the code.
 *
 * | state       | in the store | lock held by this request                          |
 * | ----------- | ------------ | -------------------------------------------------- |
 * | `new`       | no           | none                                               |
 * | `loaded`    | yes          | none (modes `readonly`, `none`)                    |
 * | `locked`    | yes          | yes, with `lockToken` (mode `exclusive`)           |
 * | `released`  | yes          | no longer: released early (`discard`, the client went away); a save still happens with `lockToken` when nobody saved since `version` |
 * | `abandoned` | no, for good | none; its cookie is cleared                        |
 * | `ended`     | `final` says | none; `commit` ran (`done`), the request is done with the store |
 *
 * Transitions (all made through `enter`, checked against `TRANSITIONS`):
 * - `new` → `loaded` | `locked` by `save` (the store creates it; `locked` in mode
 *   `exclusive`), → `abandoned` by `abandon`.
 * - any stored state → `new` by `regenerate` (the stored session is deleted).
 * - `loaded` | `locked` → the same state with a new version by `save`; →
 *   `new` when a save, reload or regenerate finds the session gone (expired);
 *   `locked` → `released` by `discard`; `released` → `locked` by `reload`.
 * - any but `ended` → `abandoned` by `abandon` or a save that finds it gone.
 * - any → `ended` by `commit`; `final` is the state the commit left in the store.
 */

/** What this request knows of a session that exists in the store. */
export interface StoredFacts {
  /** The version last loaded or saved: a save with a lock token is refused if someone saved since. */
  readonly version: number;
  /** Creation time on the store's clock; `null` when this request created it. */
  readonly createdAtMs: number | null;
}

export type SessionState =
  /** `replacedStored`: `regenerate` deleted the session the client presented. */
  | { readonly name: 'new'; readonly replacedStored: boolean }
  | ({ readonly name: 'loaded' } & StoredFacts)
  | ({ readonly name: 'locked'; readonly lockToken: string } & StoredFacts)
  | ({ readonly name: 'released'; readonly lockToken: string } & StoredFacts)
  | { readonly name: 'abandoned' }
  | EndedState;

export interface EndedState {
  readonly name: 'ended';
  done: Promise<void>;
  final: OpenState;
}

type StateName = SessionState['name'];
/** Any state but `ended`: where the session stands while the request may still use the store. */
export type OpenState = Exclude<SessionState, EndedState>;
/** The states of a session that exists in the store. */
export type StoredState = Extract<SessionState, StoredFacts>;

const TRANSITIONS = {
  new: ['new', 'loaded', 'locked', 'abandoned', 'ended'],
  loaded: ['loaded', 'new', 'abandoned', 'ended'],
  locked: ['locked', 'released', 'loaded', 'new', 'abandoned', 'ended'],
  released: ['released', 'locked', 'loaded', 'new', 'abandoned', 'ended'],
  abandoned: ['abandoned', 'ended'],
  ended: [],
} as const satisfies Record<StateName, readonly StateName[]>;

/** A stored session's state: `locked` with the token of the lock this request holds, else `loaded`. */
export function storedState(lockToken: string | null, facts: StoredFacts): OpenState {
  const { version, createdAtMs } = facts;
  return lockToken === null
    ? { name: 'loaded', version, createdAtMs }
    : { name: 'locked', lockToken, version, createdAtMs };
}

/** Where the session stands in the store: the state, or after `commit` the state it left. */
export function standing(state: SessionState): OpenState {
  return state.name === 'ended' ? state.final : state;
}

/** `next` after `current`, when `TRANSITIONS` allows it (anything else is a bug of Tessera). */
export function enter(current: SessionState, next: SessionState): SessionState {
  const allowed: readonly StateName[] = TRANSITIONS[current.name];
  if (!allowed.includes(next.name))
    throw new Error(`Tessera bug: a session cannot go from "${current.name}" to "${next.name}".`);
  return next;
}

/** `next` after `current`, or once ended, `current` with `next` as what the store holds. */
export function arrive(current: SessionState, next: OpenState): SessionState {
  if (current.name !== 'ended') return enter(current, next);
  current.final = next;
  return current;
}
