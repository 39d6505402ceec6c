/**
 * Service Center users (name, role, scrypt password hash) and the audit log of
 * what they did. Passwords are never stored or returned; `verify` compares in
 * constant time.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { notFound, unlessNameTaken } from '../errors.ts';
import type { UserRole } from '../schema.ts';
import { Repository } from './repository.ts';

/** scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and 50-100 ms per hash), a 64-byte key. */
const SCRYPT = { N: 32_768, r: 8, p: 1, keyBytes: 64, saltBytes: 16 } as const;

export interface UserRecord {
  readonly id: number;
  readonly name: string;
  readonly role: UserRole;
  readonly createdAtMs: number;
}

export interface AuditEntry {
  readonly atMs: number;
  readonly userName: string;
  readonly action: string;
  readonly target: string;
  readonly detail: string | null;
}

export class UsersRepository extends Repository {
  async createUser(name: string, password: string, role: UserRole): Promise<number> {
    const passwordHash = await hashPassword(password);
    const row = await unlessNameTaken('user', name, () =>
      this.db
        .insertInto('users')
        .values({ name, password_hash: passwordHash, role, created_at_ms: Date.now() })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    return row.id;
  }

  /** The user when `password` is theirs, else `null` (an unknown name costs a hash too). */
  async verify(name: string, password: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    const matches = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return row && matches ? toUser(row) : null;
  }

  async setPassword(name: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    const result = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw notFound('user', name);
  }

  /** The user named `name`, or null. */
  async findUser(name: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toUser(row) : null;
  }

  async removeUser(name: string): Promise<void> {
    const result = await this.db.deleteFrom('users').where('name', '=', name).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound('user', name);
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(toUser);
  }

  async audit(entry: Omit<AuditEntry, 'atMs'>): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        at_ms: Date.now(),
        user_name: entry.userName,
        action: entry.action,
        target: entry.target,
        detail: entry.detail,
      })
      .execute();
  }

  /** The most recent entries first. */
  async auditLog(limit = 100): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      atMs: row.at_ms,
      userName: row.user_name,
      action: row.action,
      target: row.target,
      detail: row.detail,
    }));
  }
}

function toUser(row: { id: number; name: string; role: UserRole; created_at_ms: number }): UserRecord {
  return { id: row.id, name: row.name, role: row.role, createdAtMs: row.created_at_ms };
}

function derive(password: string, salt: Buffer, options: ScryptOptions, keyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      keyBytes,
      { ...options, maxmem: 128 * options.N! * options.r! * 2 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64. */
async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = await derive(password, salt, SCRYPT, SCRYPT.keyBytes);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(
    password,
    Buffer.from(salt, 'base64'),
    { N: Number(n), r: Number(r), p: Number(p) },
    expected.length,
  );
  return timingSafeEqual(actual, expected);
}

/** Verified against for unknown names, so that they take as long as known ones. */
const DUMMY_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(64).toString('base64')}`;
