// Factory > Modules in Chromium: an administrator publishes examples/shop with the
// "Publish a module" form (submitted with the keyboard) and lands on the publish
// operation's page; a broken package's message is shown under the form; a viewer has
// no form. With TESSERA_UPDATE_SCREENSHOTS=1, the form's screenshot in
// docs/service-center.md is taken again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readModulePackage } from '../../src/modules/index.ts';
import { launchChromium } from '../support/chromium.ts';
import { logInInBrowser, pageErrors, screenshot } from './browser-helpers.ts';
import { ADMIN, type Harness, startHarness, VIEWER } from './harness.ts';

let harness: Harness;
let browser: Browser;
let shopTgz: Buffer;
before(async () => {
  harness = await startHarness();
  browser = await launchChromium();
  shopTgz = Buffer.from((await readModulePackage(join(import.meta.dirname, '../../examples/shop'))).bytes);
});
after(async () => {
  await browser?.close();
  await harness?.close();
});

async function logInAs(page: Page, user: { name: string; password: string }): Promise<void> {
  await logInInBrowser(
    page,
    `${harness.url}/servicecenter/factory/modules`,
    user,
    /\/servicecenter\/factory\/modules$/,
  );
}

describe('Factory > Modules: Publish a module', () => {
  it('publishes a .tgz from the form and goes to the operation; a broken one shows why', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    // The broken package answers 400 on purpose; any other error is a fault of the page.
    const errors = pageErrors(page, 400);
    try {
      await logInAs(page, ADMIN);
      const versionsBefore = (await harness.database.factory.listVersions('shop')).length;

      await page.setInputFiles('#module-file', {
        name: 'broken.tgz',
        mimeType: 'application/gzip',
        buffer: Buffer.from('not a module package'),
      });
      await page.focus('#publish-module');
      await page.keyboard.press('Enter');
      // The refusal is shown as an error under the form.
      await page.locator('#publish-status.field-error').waitFor();
      assert.match(
        (await page.textContent('#publish-status')) ?? '',
        /^TESSERA_MODULE_ARCHIVE_INVALID: the uploaded package is not a gzip-compressed tar archive/,
      );
      assert.equal((await harness.database.factory.listVersions('shop')).length, versionsBefore);
      await screenshot(
        page.locator('section[aria-labelledby="publish-title"]'),
        'service-center-publish-module.png',
      );

      await page.setInputFiles('#module-file', {
        name: 'shop-1.0.0.tgz',
        mimeType: 'application/gzip',
        buffer: shopTgz,
      });
      await page.focus('#publish-module');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/servicecenter\/operations\/\d+$/);
      const operationId = Number(page.url().split('/').pop());
      const operation = await harness.database.operations.get(operationId);
      assert.equal(operation.kind, 'publish');
      assert.equal((await harness.database.factory.listVersions('shop')).length, versionsBefore + 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('shows no publish form to a viewer', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await logInAs(page, VIEWER);
      assert.equal(await page.locator('#publish-form').count(), 0);
      assert.equal(await page.locator('#modules').count(), 1);
    } finally {
      await context.close();
    }
  });
});
