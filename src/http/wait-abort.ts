/**
 * Aborts a request's wait for its session's lock when the client goes away. The
 * controller and the `close` listener are made only once a wait starts: most
 * requests never wait, and allocate nothing for it.
 */
import type { ServerResponse } from 'node:http';

export class WaitAbort {
  readonly #res: ServerResponse;
  #controller: AbortController | undefined;
  readonly #onClose = () => this.#controller?.abort();

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /** The signal of the wait (for `SessionEngine.open`): made on the first call. */
  readonly signal = (): AbortSignal => {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // The client may have gone already, during the load before the wait.
      if (this.#res.destroyed) this.#controller.abort();
      else this.#res.once('close', this.#onClose);
    }
    return this.#controller.signal;
  };

  /** True when a wait was cut short because the client went away. */
  get aborted(): boolean {
    return this.#controller?.signal.aborted ?? false;
  }

  /** Stops listening (the session is open, or failed). */
  dispose(): void {
    if (this.#controller !== undefined) this.#res.off('close', this.#onClose);
  }
}
