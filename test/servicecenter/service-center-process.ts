/**
 * Service Center in a process of its own, as a front-end server's worker serves it:
 * its own connection to the platform database at argv[2], named argv[3], on a free
 * port of 127.0.0.1 (memory sessions). Prints `{ "url" }` once it listens, and ends
 * when its stdin closes.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { PlatformDatabase } from '../../src/platform/index.ts';
import { createServiceCenterListener } from '../../src/servicecenter/index.ts';
import { MemorySessionStore } from '../../src/session/index.ts';

const database = await PlatformDatabase.open(process.argv[2]!);
const store = new MemorySessionStore();
const listener = createServiceCenterListener({
  database,
  frontendName: process.argv[3]!,
  store,
  logger: pino({ level: 'silent' }),
});
await listener.ready();
const server = createServer(listener);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
);
process.stdin.resume();
await once(process.stdin, 'end');
await listener.close();
server.closeAllConnections();
server.close();
await store.close();
await database.close();
