import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { ensureFirstAdministrator, FIRST_ADMINISTRATOR } from '../../src/servicecenter/index.ts';
import { createSqliteFile, type TestSqliteFile } from '../support/sqlite-file.ts';

let file: TestSqliteFile;
let database: PlatformDatabase;
before(async () => {
  file = await createSqliteFile();
  database = await PlatformDatabase.open(file.url);
});
after(async () => {
  await database?.close();
  await file?.remove();
});

describe('Service Center users', () => {
  it('creates the first administrator once, with a password that works and is stored hashed', async () => {
    const [first, second] = await Promise.all([
      ensureFirstAdministrator(database),
      ensureFirstAdministrator(database),
    ]);
    const created = [first, second].filter((c) => c !== null);
    assert.equal(created.length, 1, 'two front-ends starting together create one administrator');
    const { name, password } = created[0]!;
    assert.equal(name, FIRST_ADMINISTRATOR);
    assert.ok(password.length >= 24);
    assert.equal((await database.users.verify(name, password))?.role, 'administrator');
    assert.equal(await ensureFirstAdministrator(database), null);
    const stored = await database.db.selectFrom('users').select('password_hash').executeTakeFirstOrThrow();
    assert.ok(!stored.password_hash.includes(password));
  });
});
