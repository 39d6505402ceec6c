/**
 * Whether a Redis server answers. A server that stopped answering (frozen, swapping,
 * a network path that drops packets) keeps its TCP connection open, so the client
 * does not see it go: every command would wait the whole sync timeout for the same
 * news. Once one command has outlived the sync timeout, the server is taken as
 * silent and new commands to it fail at once with `TESSERA_REDIS_UNRESPONSIVE`,
 * until a `PING` sent in the background (again and again, with a backoff) is
 * answered, or any command in flight gets its reply. Commands already in flight
 * keep their own timeout: their outcome is Redis's to tell.
 *
 * Changes are published on `tessera:redis:health` (`{ address, state, silentMs? }`).
 */
import { publishHealth } from './diagnostics.ts';
import type { RedisError } from './errors.ts';

/** The wait before the next probe after one failed: 100 ms, doubling, at most 2 s. */
const PROBE_FIRST_DELAY_MS = 100;
const PROBE_MAX_DELAY_MS = 2000;

type State = { readonly kind: 'answering' } | { readonly kind: 'silent'; readonly since: number };
const ANSWERING: State = { kind: 'answering' };

export interface ResponsivenessOptions {
  /** `host:port` of the server, for messages and events. */
  readonly address: string;
  /** Sends a `PING`; resolves (or rejects with a reply of Redis) once the server answered. */
  readonly ping: () => Promise<unknown>;
  /** Whether a rejection of `ping` is nonetheless an answer of the server (an error reply). */
  readonly isReply: (error: unknown) => boolean;
  /** How long one probe waits for its answer: the sync timeout. */
  readonly probeTimeoutMs: number;
  /** The error a command fails with while the server is silent. */
  readonly unresponsive: (since: number) => RedisError;
}

export class Responsiveness {
  readonly #options: ResponsivenessOptions;
  #state: State = ANSWERING;
  /** Ends the wait between two probes early (on close). */
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(options: ResponsivenessOptions) {
    this.#options = options;
  }

  /** The error a new command must fail with at once, or `undefined` while the server answers. */
  refusal(): RedisError | undefined {
    return this.#state.kind === 'silent' ? this.#options.unresponsive(this.#state.since) : undefined;
  }

  /** A command outlived the sync timeout: take the server as silent and probe it until it answers. */
  timedOut(): void {
    if (this.#state.kind === 'silent' || this.#closed) return;
    this.#state = { kind: 'silent', since: Date.now() };
    publishHealth({ address: this.#options.address, state: 'unresponsive' });
    void this.#probeUntilAnswered();
  }

  /** The server answered something: it serves again. */
  answered(): void {
    if (this.#state.kind === 'answering') return;
    const silentMs = Date.now() - this.#state.since;
    this.#state = ANSWERING;
    this.#wake?.();
    publishHealth({ address: this.#options.address, state: 'answering', silentMs });
  }

  /** Stops probing. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async #probeUntilAnswered(): Promise<void> {
    let delayMs = PROBE_FIRST_DELAY_MS;
    while (this.#state.kind === 'silent' && !this.#closed) {
      if (await this.#probe()) {
        this.answered();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs).unref();
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      delayMs = Math.min(delayMs * 2, PROBE_MAX_DELAY_MS);
    }
  }

  /** One `PING`: true once answered, false when it failed or outlived the probe timeout. */
  #probe(): Promise<boolean> {
    const { ping, isReply, probeTimeoutMs } = this.#options;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), probeTimeoutMs).unref();
      const settle = (answered: boolean) => {
        clearTimeout(timer);
        resolve(answered);
      };
      ping().then(
        () => settle(true),
        (error: unknown) => settle(isReply(error)),
      );
    });
  }
}
