// Who may use Service Center, route by route: every route the listener registered
// (read from it, so a new route is covered without editing this file) refuses a
// request without a signed-in user's session, however its path is spelled; every
// change is refused to a viewer and without the session's CSRF token. Only the login
// page and form answer without a session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteInfo } from '../../src/servicecenter/index.ts';
import { pathSpellings, rawRequest } from '../support/raw-http.ts';
import { ADMIN, api, type Harness, logIn, type SignedIn, startHarness, VIEWER } from './harness.ts';

let harness: Harness;
let port: number;
let admin: SignedIn;
let viewer: SignedIn;
before(async () => {
  harness = await startHarness();
  port = Number(new URL(harness.url).port);
  admin = await logIn(harness.url, ADMIN);
  viewer = await logIn(harness.url, VIEWER);
  const created = await api(harness.url, admin, 'POST', '/servicecenter/api/solutions', {
    name: 'Secretive',
    allModules: true,
  });
  assert.equal(created.status, 201);
});
after(() => harness?.close());

/** The route's URL with its parameters filled: an existing solution, operation 1. */
function concrete(route: RouteInfo): string {
  return route.url.replace(':name', 'Secretive').replace(':id', '1');
}

function bodyFor(route: RouteInfo): string | undefined {
  return route.method === 'GET' || route.method === 'DELETE'
    ? undefined
    : JSON.stringify({ name: 'Injected', modules: ['shop'] });
}

const isChange = (route: RouteInfo) => route.method !== 'GET';

describe('Service Center: no route without login', () => {
  it('lists its routes: only the login page and form are public', () => {
    const routes = harness.listener.routes;
    assert.ok(routes.length >= 30, `${routes.length} routes`);
    assert.deepEqual(
      routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`),
      ['GET /servicecenter/login', 'POST /servicecenter/login', 'POST /servicecenter/api/login'],
    );
    for (const path of [
      '/servicecenter/factory/solutions',
      '/servicecenter/api/solutions',
      '/servicecenter/api/modules',
      '/servicecenter/monitoring/frontends',
    ])
      assert.ok(
        routes.some((r) => r.url === path),
        path,
      );
  });

  it('refuses every other route without a session, however its path is spelled', async () => {
    const routes = harness.listener.routes.filter((r) => !r.public);
    let requests = 0;
    for (const route of routes) {
      for (const path of pathSpellings(concrete(route), port)) {
        for (const cookie of [undefined, 'tessera.servicecenter=forged-session-id-0123456789abcdef']) {
          const body = bodyFor(route);
          const answer = await rawRequest(port, {
            method: route.method,
            path,
            headers: {
              ...(cookie === undefined ? {} : { cookie }),
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body }),
          });
          requests++;
          const where = `${route.method} ${path}${cookie ? ' (forged cookie)' : ''}`;
          if (answer.status === 303)
            assert.match(String(answer.headers.location), /^\/servicecenter\/login\?next=/, where);
          // A request target that is not a path is refused before any route.
          else if (answer.status === 400) assert.ok(!path.startsWith('/'), `${where}: 400 ${answer.body}`);
          else assert.equal(answer.status, 401, `${where}: ${answer.status} ${answer.body.slice(0, 200)}`);
          assert.ok(
            !answer.body.includes('Secretive') && !answer.body.includes('catalog'),
            `${where} leaks data`,
          );
        }
      }
    }
    assert.ok(requests > 1000, `${requests} requests`);
    // Nothing was changed by any of them.
    const solution = await api(harness.url, admin, 'GET', '/servicecenter/api/solutions');
    assert.deepEqual(solution.json.solutions, [{ name: 'Secretive', modules: ['catalog', 'shop'] }]);
  });

  it('refuses every change to a viewer, and to an administrator without the CSRF token', async () => {
    for (const route of harness.listener.routes.filter(
      (r) => isChange(r) && !r.public && !r.url.endsWith('/logout'),
    )) {
      const body = bodyFor(route);
      const headers = (who: SignedIn, csrf: string) => ({
        cookie: who.cookie,
        'x-tessera-csrf': csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      });
      const asViewer = await rawRequest(port, {
        method: route.method,
        path: concrete(route),
        headers: headers(viewer, viewer.csrf),
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(asViewer.status, 403, `viewer ${route.method} ${route.url}: ${asViewer.body}`);
      const noToken = await rawRequest(port, {
        method: route.method,
        path: concrete(route),
        headers: headers(admin, 'not-the-token'),
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(noToken.status, 403, `no CSRF ${route.method} ${route.url}`);
      assert.match(noToken.body, /TESSERA_SERVICECENTER_CSRF|CSRF token/);
    }
    const solution = await api(harness.url, admin, 'GET', '/servicecenter/api/solutions');
    assert.deepEqual(solution.json.solutions, [{ name: 'Secretive', modules: ['catalog', 'shop'] }]);
  });

  it('answers 404 with a message only once signed in', async () => {
    const anonymous = await rawRequest(port, { path: '/servicecenter/api/nothing-here' });
    assert.equal(anonymous.status, 401);
    const signedIn = await api(harness.url, admin, 'GET', '/servicecenter/api/nothing-here');
    assert.equal(signedIn.status, 404);
    assert.equal(signedIn.json.code, 'TESSERA_SERVICECENTER_NOT_FOUND');
  });

  it('signs out a removed user at their next request', async () => {
    const temp = { name: 'temporary', password: 'temporary-password-123' };
    await harness.database.users.createUser(temp.name, temp.password, 'administrator');
    const session = await logIn(harness.url, temp);
    assert.equal((await api(harness.url, session, 'GET', '/servicecenter/api/solutions')).status, 200);
    await harness.database.users.removeUser(temp.name);
    assert.equal((await api(harness.url, session, 'GET', '/servicecenter/api/solutions')).status, 401);
  });
});
