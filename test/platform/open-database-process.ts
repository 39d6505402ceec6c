/**
 * A separate process that opens the platform database at argv[2] (migrating it)
 * and prints what it found as JSON: several of these, released at the same moment,
 * play front-end servers starting together. It prints `ready` once loaded, and
 * opens the database when a line arrives on stdin.
 */
import { once } from 'node:events';
import { PlatformDatabase } from '../../src/platform/index.ts';

process.stdout.write('ready\n');
await once(process.stdin, 'data');
try {
  const database = await PlatformDatabase.open(process.argv[2]!, { busyTimeoutMs: 30_000 });
  try {
    const { applied } = await database.migrate();
    process.stdout.write(`${JSON.stringify({ applied, executed: await database.executedMigrations() })}\n`);
  } finally {
    await database.close();
  }
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
}
process.stdin.destroy();
