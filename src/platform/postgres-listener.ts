/**
 * One PostgreSQL connection, outside the pool, that LISTENs for the channels some
 * caller waits on (the Database session provider's lock releases). Opened on the
 * first `listen`. While a channel is listened to, the connection holds its shared
 * advisory lock, the mark that tells senders someone listens. When it breaks, every listener is told once (a spurious wake:
 * waiters load again) and forgotten; the next `listen` opens a new connection.
 */
import type { Client, Notification } from 'pg';
import { LISTENED_CHANNEL_LOCK_CLASS } from '../session/index.ts';

type Handler = (payload: string) => void;

export class PostgresListener {
  readonly #connect: () => Promise<Client>;
  readonly #translate: (error: unknown) => unknown;
  readonly #handlers = new Map<string, Set<Handler>>();
  #client: Promise<Client> | undefined;
  #closed = false;

  constructor(connect: () => Promise<Client>, translate: (error: unknown) => unknown) {
    this.#connect = connect;
    this.#translate = translate;
  }

  /** Listens on `channel` (a plain identifier); resolves once listening, to a function that stops. */
  async listen(channel: string, onNotify: Handler): Promise<() => Promise<void>> {
    if (!/^[a-z0-9_]{1,63}$/.test(channel)) throw new Error(`Not a channel name: ${channel}`);
    const client = await this.#clientOf();
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      try {
        await client.query(`LISTEN ${channel}`);
        // Marks the channel as listened to (see SessionDatabase.listen), after LISTEN: a
        // notification sent once the mark is seen is heard.
        await client.query('SELECT pg_advisory_lock_shared($1, hashtext($2))', [
          LISTENED_CHANNEL_LOCK_CLASS,
          channel,
        ]);
      } catch (error) {
        this.#handlers.delete(channel);
        throw this.#translate(error);
      }
    }
    const own = handlers;
    own.add(onNotify);
    return async () => {
      own.delete(onNotify);
      if (own.size > 0 || this.#handlers.get(channel) !== own) return;
      this.#handlers.delete(channel);
      try {
        await client.query('SELECT pg_advisory_unlock_shared($1, hashtext($2))', [
          LISTENED_CHANNEL_LOCK_CLASS,
          channel,
        ]);
        await client.query(`UNLISTEN ${channel}`);
      } catch {
        // The connection is gone, and its LISTENs and locks with it.
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    this.#handlers.clear();
    await client?.then((c) => c.end()).catch(() => {});
  }

  #clientOf(): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('The listener is closed.'));
    if (this.#client) return this.#client;
    const opening = this.#connect().then((client) => {
      client.on('notification', (message: Notification) => {
        for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      const broken = () => {
        if (this.#client !== opening) return;
        this.#client = undefined;
        const handlers = [...this.#handlers.values()];
        this.#handlers.clear();
        for (const set of handlers) for (const handler of set) handler('released');
      };
      client.on('error', broken);
      client.on('end', broken);
      return client;
    });
    this.#client = opening;
    opening.catch(() => {
      if (this.#client === opening) this.#client = undefined;
    });
    return opening;
  }
}
