// Service Center in Chromium: log in, create a solution with all the modules of the
// factory, open its details, click Apply Settings (with the keyboard) and follow the
// operation live while the front-end servers report, with no page reload; then the
// farm at a glance with its drift. With TESSERA_UPDATE_SCREENSHOTS=1, the screenshots
// of docs/service-center.md are taken again (docs/screenshots/service-center-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { logInInBrowser, pageErrors, screenshot } from './browser-helpers.ts';
import { ADMIN, type Harness, startHarness, VIEWER } from './harness.ts';

let harness: Harness;
let browser: Browser;
before(async () => {
  harness = await startHarness();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

async function logInAs(page: Page, user: { name: string; password: string }): Promise<void> {
  await logInInBrowser(page, `${harness.url}/servicecenter/`, user, /\/servicecenter\/factory\/solutions$/);
}

describe('Service Center in the browser', () => {
  it('logs in, creates a solution with all modules and applies its settings with live progress', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // The refused login answers 401 on purpose; any other error is a fault of the page.
    const errors = pageErrors(page, 401);
    try {
      await page.goto(`${harness.url}/servicecenter/login`);
      await page.fill('#name', ADMIN.name);
      await page.fill('#password', 'not-the-password-000');
      await page.click('#login-button');
      assert.match((await page.textContent('#login-error')) ?? '', /user name or the password is wrong/);
      await screenshot(page, 'service-center-login.png', false);

      await logInAs(page, ADMIN);
      // The banner: fe2's settings are pending (an older revision), and fe2's SSL Host drifts.
      assert.match((await page.textContent('.banner')) ?? '', /Settings pending on 1 module \(shop\)/);
      await page.fill('#solution-name', 'All the factory');
      await page.check('input[name="allModules"]');
      await screenshot(page, 'service-center-solutions.png');
      await page.click('#new-solution');
      await page.waitForURL(/\/factory\/solutions\/All%20the%20factory$/);
      assert.deepEqual(await page.locator('#solution-modules tbody th').allTextContents(), [
        'catalog',
        'shop',
      ]);
      await screenshot(page, 'service-center-solution.png');

      // Apply Settings, with the keyboard.
      await page.focus('#apply-settings');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/servicecenter\/operations\/\d+$/);
      const id = Number(page.url().split('/').pop());
      await page.evaluate("window.marker = 'same page'");
      assert.equal(await page.locator('#operation-steps tbody tr').count(), 4);

      const { fe1, fe2, shop, catalog } = harness.ids;
      await harness.database.operations.report(id, { frontendId: fe1, moduleId: shop }, 'running');
      await page.waitForSelector('tr[data-step="fe1/shop"] .state.is-running');
      await harness.database.operations.report(id, { frontendId: fe1, moduleId: shop }, 'succeeded');
      await harness.database.operations.report(id, { frontendId: fe1, moduleId: catalog }, 'succeeded');
      await page.waitForSelector('tr[data-step="fe1/catalog"] .state.is-succeeded');
      await screenshot(page, 'service-center-apply-settings-running.png');
      await harness.database.operations.report(id, { frontendId: fe2, moduleId: shop }, 'succeeded');
      await harness.database.operations.report(id, { frontendId: fe2, moduleId: catalog }, 'succeeded');
      await page.waitForSelector('body[data-operation-state="succeeded"]');
      assert.match(
        (await page.textContent('#operation-summary')) ?? '',
        /^Apply Settings succeeded: 4 module deployments on 2 front-end servers\.$/,
      );
      assert.equal(await page.evaluate('window.marker'), 'same page');
      await screenshot(page, 'service-center-apply-settings-done.png');

      await page.click('nav.console-nav >> text=Front-end servers');
      await page.waitForURL(/monitoring\/frontends$/);
      assert.match(
        (await page.textContent('tr[data-frontend="fe2"]')) ?? '',
        /Drift: fe2's SSL Host is redis.internal, fe1's is redis.example.com/,
      );
      await screenshot(page, 'service-center-frontends.png');
      await page.click('nav.console-nav >> text=Modules');
      assert.match((await page.textContent('#modules')) ?? '', /settings pending/);
      await screenshot(page, 'service-center-modules.png');

      // 800 pixels wide: nothing overflows the window sideways.
      await page.setViewportSize({ width: 800, height: 900 });
      await page.goto(
        `${harness.url}/servicecenter/factory/solutions/${encodeURIComponent('All the factory')}`,
      );
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);
      await screenshot(page, 'service-center-solution-narrow.png');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('shows a viewer everything without a button that changes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    try {
      await logInAs(page, VIEWER);
      assert.equal(await page.locator('#new-solution').count(), 0);
      await page.goto(
        `${harness.url}/servicecenter/factory/solutions/${encodeURIComponent('All the factory')}`,
      );
      assert.equal(await page.locator('#apply-settings').count(), 0);
      assert.equal(await page.locator('#republish').count(), 0);
      assert.match((await page.textContent('#viewer-note')) ?? '', /Viewers see/);
    } finally {
      await context.close();
    }
  });
});
