// Fuzzing the bodies of `tessera config ui`'s API: seeded random and mutated JSON
// posted, with the page's session, to every POST route the server registered (read
// from the server), against a real server whose configuration holds a stored Redis
// password. Whatever the body: an answer within a bound, never a 500 or an
// unexpected error, never the stored password, and the configuration file exactly
// as it was unless the body was a valid Apply (then the server is started again on
// the original file).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import {
  CONFIG_VERSION,
  type ConfigLocation,
  REDIS_ADVANCED_OPTION_NAMES,
  readConfiguration,
  redisSettingsFromConnectionString,
  saveConfiguration,
} from '../../src/config/index.ts';
import type { ConfigToolServer, RouteInfo } from '../../src/configtool/ui/ui-server.ts';
import { freshLocation } from '../config/helpers.ts';
import {
  type Answer,
  type BrowserSession,
  openPage,
  pageHeaders,
  send,
  startUiServer,
} from '../configtool/ui-http.ts';
import { FUZZ_ITERATIONS, FUZZ_SEED, type FuzzRandom, fuzz, fuzzString, mutate } from '../support/fuzz.ts';
import { freePort } from '../support/redis-server.ts';

const PASSWORD = 'fuzz-Stored-Redis-pw-7d3';
/** Longer than any answer may take: a valid Test Connection to a closed port takes milliseconds. */
const ANSWER_WITHIN_MS = 20_000;
/** Stands for the page's id in generated bodies; replaced when sent (the id changes when the server restarts). */
const PAGE_ID = '@PAGE_ID@';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const closedPort = await freePort();

/** The server under test, started again on the original file after a valid Apply stopped it. */
class UiUnderFuzz {
  readonly location: ConfigLocation;
  readonly original: Buffer;
  server!: ConfigToolServer;
  session!: BrowserSession;
  applied = 0;

  private constructor(location: ConfigLocation) {
    this.location = location;
    this.original = readFileSync(location.path);
  }

  static async start(): Promise<UiUnderFuzz> {
    const location = freshLocation();
    const redis = redisSettingsFromConnectionString(
      `127.0.0.1:${closedPort},password=${PASSWORD},user=ops,connectTimeout=2000`,
    );
    await saveConfiguration(await readConfiguration(location), {
      version: CONFIG_VERSION,
      session: { provider: 'redis', redis },
    });
    const ui = new UiUnderFuzz(location);
    await ui.restart();
    return ui;
  }

  async restart(): Promise<void> {
    writeFileSync(this.location.path, this.original);
    this.server = await startUiServer(this.location);
    this.session = await openPage(this.server);
  }
}

const ui = await UiUnderFuzz.start();
const POST_ROUTES: readonly RouteInfo[] = ui.server.routes.filter(
  (route) => route.access === 'api' && route.method === 'POST',
);

/** A body each route accepts, to mutate: the Session form, wrapped for Apply. */
function validBody(route: RouteInfo): Json {
  const form: Json = {
    provider: 'redis',
    hosts: `127.0.0.1:${closedPort}`,
    password: { action: 'keep' },
    user: 'ops',
    useSsl: false,
    sslHost: '',
    advanced: { connectTimeoutMs: '2000' },
  };
  return route.url === '/api/apply' ? { form, force: false, pageId: PAGE_ID } : form;
}

const KEYS = [
  'provider',
  'hosts',
  'password',
  'user',
  'useSsl',
  'sslHost',
  'advanced',
  'action',
  'value',
  'form',
  'force',
  'pageId',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'polluted',
  ...REDIS_ADVANCED_OPTION_NAMES,
] as const;

const STRINGS = [
  '',
  ' ',
  'memory',
  'redis',
  'database',
  'keep',
  'clear',
  'replace',
  'true',
  'false',
  '0',
  '-1',
  '2147483648',
  '1e3',
  'localhost:1',
  '[::1]:1',
  `127.0.0.1:${closedPort}`,
  'a'.repeat(4097),
  PAGE_ID,
  'A'.repeat(43),
] as const;

const NUMBERS = [0, -0, 1, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MIN_VALUE] as const;

function randomJson(random: FuzzRandom, depth = 0): Json {
  switch (random.int(depth > 3 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick(NUMBERS);
    case 3:
      return fuzzString(random, 20);
    case 4:
      return random.pick(STRINGS);
    case 5:
      return Array.from({ length: random.int(4) }, () => randomJson(random, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: random.int(4) }, () => [
          random.chance(0.8) ? random.pick(KEYS) : fuzzString(random, 8),
          randomJson(random, depth + 1),
        ]),
      );
  }
}

/** `value` with one change at a random place: a value replaced, a key removed or added, a type changed. */
function mutateJson(random: FuzzRandom, value: Json): Json {
  const here = random.chance(0.3) || value === null || typeof value !== 'object';
  if (here) {
    switch (random.int(4)) {
      case 0:
        return randomJson(random);
      case 1:
        return [value];
      case 2:
        return typeof value === 'string' ? mutate(random, value) : random.pick(STRINGS);
      default:
        return Array.isArray(value) ? value.slice(1) : JSON.stringify(value);
    }
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return [randomJson(random)];
    const at = random.int(value.length);
    return value.map((item, i) => (i === at ? mutateJson(random, item) : item));
  }
  const copy: { [key: string]: Json } = { ...value };
  const keys = Object.keys(copy);
  const choice = random.int(4);
  if (choice === 0 && keys.length > 0) {
    delete copy[random.pick(keys)];
  } else if (choice === 1 || keys.length === 0) {
    setOwn(copy, random.pick(KEYS), randomJson(random));
  } else {
    const key = random.pick(keys);
    setOwn(copy, key, mutateJson(random, copy[key]!));
  }
  return copy;
}

/** Sets an own property, as JSON.parse does: a "__proto__" key stays a key, not the prototype. */
function setOwn(object: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, configurable: true, writable: true });
}

interface Case {
  readonly contentType: string;
  readonly text: string;
}

const OTHER_CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/JSON',
  '',
] as const;

function generate(route: RouteInfo, random: FuzzRandom): Case {
  const valid = validBody(route);
  const kind = random.int(20);
  let text: string;
  if (kind === 0) {
    // Valid, with another provider or forced: an Apply that writes (the server is started again).
    const form = { ...(validBody({ ...route, url: '' }) as { [key: string]: Json }) };
    form.provider = random.pick(['memory', 'database', 'redis']);
    text = JSON.stringify(
      route.url === '/api/apply' ? { form, force: random.chance(0.5), pageId: PAGE_ID } : form,
    );
  } else if (kind < 12) {
    let body = valid;
    for (let i = 1 + random.int(3); i > 0; i--) body = mutateJson(random, body);
    text = JSON.stringify(body);
  } else if (kind < 16) {
    text = mutate(random, JSON.stringify(valid));
  } else if (kind < 18) {
    text = JSON.stringify(randomJson(random));
  } else if (kind === 18) {
    text = fuzzString(random, 200);
  } else {
    // Deep nesting, inside the body limit.
    const depth = 1 + random.int(20_000);
    text = random.chance(0.5)
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : `{"form":${'{"a":'.repeat(Math.min(depth, 9000))}1${'}'.repeat(Math.min(depth, 9000))}}`;
  }
  const contentType = random.chance(0.05) ? random.pick(OTHER_CONTENT_TYPES) : 'application/json';
  return { contentType, text };
}

/** The events of a streamed answer; each line must be JSON. */
function eventsOf(answer: Answer): { type?: unknown; code?: unknown; message?: unknown }[] {
  return answer.body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type?: unknown; code?: unknown; message?: unknown });
}

const tally = new Map<string, number>();
let longest = 0;
function messagesOf(answer: Answer): string[] {
  const found: string[] = [];
  JSON.parse(`[${answer.body.trim().split('\n').join(',')}]`, (key, value) => {
    if ((key === 'message' || key === 'detail') && typeof value === 'string') found.push(value);
    return value;
  });
  return found;
}
after(() => {
  const counts = [...tally].map(([outcome, count]) => `${outcome}: ${count}`).join(', ');
  process.stdout.write(
    `ui-api-bodies: seed ${FUZZ_SEED}, ${FUZZ_ITERATIONS} cases per route, ${counts}, valid applies ${ui.applied}, longest message ${longest} characters\n`,
  );
});

describe('fuzz: the API bodies of tessera config ui', () => {
  it('has POST routes to fuzz', () => {
    assert.ok(POST_ROUTES.length >= 3, POST_ROUTES.map((r) => r.url).join(' '));
  });

  for (const route of POST_ROUTES) {
    it(`${route.method} ${route.url}: no 500, no hang, no secret, the file unchanged by an invalid body`, async () => {
      await fuzz(
        `${route.method} ${route.url}`,
        (random) => generate(route, random),
        async ({ contentType, text }) => {
          const headers: Record<string, string> = pageHeaders(ui.server, ui.session);
          if (contentType !== '') headers['content-type'] = contentType;
          const answer = await send(ui.server, {
            method: route.method,
            path: route.url,
            headers,
            body: text.replaceAll(PAGE_ID, ui.session.pageId),
            timeoutMs: ANSWER_WITHIN_MS,
          });
          const outcome = `${answer.status}`;
          longest = Math.max(longest, ...messagesOf(answer).map((m) => m.length));
          tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
          assert.ok(answer.status < 500, `answered ${answer.status}: ${answer.body.slice(0, 300)}`);
          assert.ok(!answer.body.includes(PASSWORD), 'the stored password is in the answer');

          let applied = false;
          if (/^application\/x-ndjson/.test(String(answer.headers['content-type']))) {
            for (const event of eventsOf(answer)) {
              if (event.type === 'applied') applied = true;
              if (event.type === 'error') {
                assert.match(
                  String(event.code),
                  /^TESSERA_/,
                  `an unexpected error: ${String(event.message)}`,
                );
              }
            }
          } else {
            const json = JSON.parse(answer.body) as { message?: unknown };
            assert.doesNotMatch(String(json.message), /unexpected error/);
          }
          if (applied) {
            // A valid Apply (another provider, or forced): it wrote and stopped; start again.
            ui.applied += 1;
            assert.equal(await ui.server.stopped, 'applied');
            await ui.restart();
          } else {
            assert.deepEqual(readFileSync(ui.location.path), ui.original, 'the file changed');
          }
        },
      );
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
      const page = await send(ui.server, { headers: { cookie: ui.session.cookie } });
      assert.equal(page.status, 200, 'the tool still serves its page');
    });
  }
});
