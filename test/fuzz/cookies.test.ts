/**
 * Fuzzing the session cookie: random and mutated `Cookie` headers through the
 * cookie reader, then through a real `sessionMiddleware` on a real HTTP server
 * (raw bytes on a socket, so that nothing but Node's own HTTP parser filters them).
 * No crash, no 500, no untyped error, bounded time.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemorySessionStore, type RequestWithSession, sessionMiddleware } from 'tessera';
import { readCookies } from '../../src/http/cookies.ts';
import { SessionEngine } from '../../src/session/index.ts';
import { listen, type RunningServer } from '../http/http-helpers.ts';
import { assertTypedError, type FuzzRandom, fuzz, fuzzString, mutate } from '../support/fuzz.ts';

const NAME = 'tessera.sid';
/** Well-formed, but no store knows it. */
const STALE = 'AAAAAAAAAAAAAAAAAAAAAAAA';

/** A header built from pieces a browser or an attacker sends, then maybe mutated. */
function cookieHeader(random: FuzzRandom, known: string): string {
  const pieces = [
    `${NAME}=${known}`,
    `${NAME}=${STALE}`,
    `${NAME}="${known}"`,
    `${NAME}=`,
    `${NAME}`,
    'other=1',
    `${NAME}=${known}${known}`,
    `${NAME} = ${known}`,
    `x${NAME}=${known}`,
    `${NAME}=${fuzzString(random, 30)}`,
    fuzzString(random, 40),
  ];
  const count = 1 + random.int(random.chance(0.05) ? 200 : 5);
  const parts = Array.from({ length: count }, () => random.pick(pieces));
  const header = parts.join(random.pick(['; ', ';', ' ; ', ';;']));
  return random.chance(0.4) ? mutate(random, header) : header;
}

describe('fuzzing the session cookie', () => {
  const store = new MemorySessionStore();
  let server: RunningServer;
  let known: string;
  const errors: unknown[] = [];

  before(async () => {
    const handle = sessionMiddleware({ store });
    server = await listen((req: IncomingMessage, res: ServerResponse) => {
      void handle(req, res, (error?: unknown) => {
        if (error !== undefined) {
          errors.push(error);
          res.statusCode = 500;
          res.end();
          return;
        }
        const session = (req as RequestWithSession).session;
        session.count = ((session.count as number | undefined) ?? 0) + 1;
        res.end(String(session.count));
      });
    });
    const seed = await new SessionEngine(store.provider).open(undefined);
    seed.set('count', 0);
    await seed.commit();
    known = seed.id;
  });
  after(async () => {
    await server.close();
    await store.close();
  });

  it('reads any header without throwing, quickly, finding the values it holds', async () => {
    await fuzz(
      'readCookies',
      (random) => cookieHeader(random, known),
      (header) => {
        const started = performance.now();
        const values = readCookies(header, NAME);
        const elapsedMs = performance.now() - started;
        assert.ok(elapsedMs < 100, `read in ${elapsedMs} ms`);
        assert.ok(Array.isArray(values));
        for (const value of values) {
          assert.equal(typeof value, 'string');
          assert.ok(!value.includes(';'), 'a value never spans a separator');
        }
      },
    );
    assert.deepEqual(readCookies(`${NAME}=${STALE}; ${NAME}=${known}`, NAME), [STALE, known]);
    assert.deepEqual(readCookies(undefined, NAME), []);
  });

  it('answers every request through the middleware with no 500 and no untyped error, in bounded time', async () => {
    const statuses = new Map<number, number>();
    await fuzz(
      'sessionMiddleware cookie',
      (random) => cookieHeader(random, known),
      async (header) => {
        const started = performance.now();
        const status = await rawGet(server.url, header);
        const elapsedMs = performance.now() - started;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        assert.ok(elapsedMs < 2000, `answered in ${elapsedMs} ms`);
        // 400 and 431: Node's parser refused the header before the middleware saw it.
        assert.ok([200, 400, 431].includes(status), `status ${status}`);
        for (const error of errors.splice(0)) assertTypedError(error);
      },
    );
    assert.ok((statuses.get(200) ?? 0) > 0, `statuses ${JSON.stringify([...statuses])}`);
  });

  it('keeps the known session whenever its cookie is among those sent', async () => {
    const before = await rawGet(server.url, `${NAME}=${STALE}; ${NAME}=${known}`, true);
    const again = await rawGet(server.url, `${NAME}=not-an-id; ${NAME}=${known}; ${NAME}=${STALE}`, true);
    assert.equal(Number(again.body), Number(before.body) + 1);
    assert.ok(!/set-cookie/i.test(again.head), 'no new session, so no new cookie');
  });
});

/** A GET with `cookie` as raw latin1 bytes; resolves to the status (or the status, head and body). */
function rawGet(url: string, cookie: string): Promise<number>;
function rawGet(url: string, cookie: string, full: true): Promise<{ head: string; body: string }>;
async function rawGet(url: string, cookie: string, full?: true) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.end(
    Buffer.from(
      `GET /count HTTP/1.1\r\nHost: fuzz\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`,
      'latin1',
    ),
  );
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  const response = Buffer.concat(chunks).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
  if (!full) return status;
  const split = response.indexOf('\r\n\r\n');
  return { head: response.slice(0, split), body: response.slice(split + 4) };
}
