/**
 * The bundled example application (examples/shop) passes publish's checks and
 * works on the module host: a cart kept in the session, a login that regenerates
 * the session id, and the name of the front-end server that answered.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  createModuleHost,
  type ModuleHost,
  readModulePackage,
  unpackModulePackage,
} from '../../src/modules/index.ts';
import { listen, type RunningServer } from '../http/http-helpers.ts';
import { freshFolder } from './module-fixtures.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'shop');
const COOKIE = 'tessera.Shop.sid';

describe('examples/shop', () => {
  let host: ModuleHost;
  let server: RunningServer;
  before(async () => {
    const pkg = await readModulePackage(EXAMPLE);
    assert.equal(pkg.name, 'shop');
    assert.equal(pkg.application, 'Shop');
    const folder = await unpackModulePackage(freshFolder(), pkg);
    host = await createModuleHost({
      modules: [
        {
          name: 'shop',
          application: 'Shop',
          version: 1,
          folder,
          settings: { provider: 'memory', timeoutMinutes: 20, mode: 'exclusive', revision: '1' },
        },
      ],
      frontend: { name: 'fe-example' },
      log: pino({ level: 'silent' }),
    });
    server = await listen(host.listener);
  });
  after(async () => {
    await server?.close();
    await host?.close();
  });

  /** A browser: keeps the Shop cookie, follows nothing (the test reads each redirect). */
  class Browser {
    cookie: string | undefined;
    async request(method: 'GET' | 'POST', path: string, fields?: Record<string, string>) {
      const response = await fetch(`${server.url}${path}`, {
        method,
        redirect: 'manual',
        headers: {
          ...(this.cookie ? { cookie: `${COOKIE}=${this.cookie}` } : {}),
          ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(fields ? { body: new URLSearchParams(fields).toString() } : {}),
      });
      for (const line of response.headers.getSetCookie()) {
        const [name, value] = line.split(';')[0]!.split('=');
        if (name === COOKIE) this.cookie = /Max-Age=0/i.test(line) ? undefined : value;
      }
      return {
        status: response.status,
        location: response.headers.get('location'),
        body: await response.text(),
      };
    }
  }

  it('keeps the cart in the session', async () => {
    const browser = new Browser();
    assert.equal((await browser.request('POST', '/shop/cart', { product: 'mug' })).location, '/shop/');
    await browser.request('POST', '/shop/cart', { product: 'mug' });
    await browser.request('POST', '/shop/cart', { product: 'tea' });
    const page = await browser.request('GET', '/shop/');
    assert.match(page.body, /2 × Stoneware mug/);
    assert.match(page.body, /1 × Green tea/);
    assert.match(page.body, /Total: <b>€28\.50<\/b>/);
    await browser.request('POST', '/shop/cart/clear');
    assert.match((await browser.request('GET', '/shop/')).body, /<h2>Cart<\/h2>\s*<p>Empty\.<\/p>/);
  });

  it('regenerates the session id at login, keeping the cart, and forgets the old id', async () => {
    const browser = new Browser();
    await browser.request('POST', '/shop/cart', { product: 'pot' });
    const before = browser.cookie;
    assert.ok(before);
    assert.equal(
      (await browser.request('POST', '/shop/login', { user: 'Ada <admin>' })).status,
      400,
      'refused name',
    );
    assert.equal((await browser.request('POST', '/shop/login', { user: 'Ada' })).status, 303);
    assert.ok(browser.cookie && browser.cookie !== before, 'a new session id');
    const page = await browser.request('GET', '/shop/');
    assert.match(page.body, /Signed in as <b>Ada<\/b>/);
    assert.match(page.body, /1 × Cast-iron teapot/);
    const planted = new Browser();
    planted.cookie = before;
    assert.doesNotMatch((await planted.request('GET', '/shop/')).body, /Signed in as/);
    await browser.request('POST', '/shop/logout');
    assert.equal(browser.cookie, undefined, 'the cookie is cleared');
  });

  it('shows which front-end server answered', async () => {
    const browser = new Browser();
    assert.match(
      (await browser.request('GET', '/shop/')).body,
      /front-end server <b id="frontend">fe-example<\/b>/,
    );
    const json = JSON.parse((await browser.request('GET', '/shop/frontend')).body);
    assert.deepEqual(json, { frontend: 'fe-example', pid: process.pid, module: 'shop' });
  });
});
