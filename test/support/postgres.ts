/**
 * A fresh PostgreSQL database per test file on the server at 127.0.0.1:5432
 * (trust authentication, user `postgres`), dropped by `drop()` even when
 * connections are still open. Call `drop()` in `after`, so that a failing test
 * leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;

export interface TestDatabase {
  readonly name: string;
  /** `postgres://postgres@127.0.0.1:5432/<name>` */
  readonly url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...POSTGRES_SERVER, database: 'postgres' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tessera_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: `postgres://${POSTGRES_SERVER.user}@${POSTGRES_SERVER.host}:${POSTGRES_SERVER.port}/${name}`,
    drop: () =>
      admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
