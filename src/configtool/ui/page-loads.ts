/**
 * The configuration each served page was built from, by page id, so that an
 * **Apply and Exit** is checked against the file as that page showed it (not as
 * another tab, or a later reload, read it): a file changed since is refused, with
 * the difference.
 */
import type { LoadedConfiguration } from '../../config/index.ts';
import { randomToken } from '../../web/index.ts';

/** Page loads remembered; an older page is told to reload. */
export const REMEMBERED_PAGES = 16;

export class PageLoads {
  readonly #loads = new Map<string, LoadedConfiguration>();

  /** Records the configuration a page is built from; returns the page's id. */
  remember(loaded: LoadedConfiguration): string {
    const id = randomToken();
    this.#loads.set(id, loaded);
    for (const oldest of this.#loads.keys()) {
      if (this.#loads.size <= REMEMBERED_PAGES) break;
      this.#loads.delete(oldest);
    }
    return id;
  }

  /** The configuration page `id` was built from; undefined for an unknown or forgotten page. */
  loadedBy(id: string): LoadedConfiguration | undefined {
    return this.#loads.get(id);
  }
}
