/**
 * What the Service Center browser tests share: signing in through the login page,
 * the page's errors, and the screenshots of docs/service-center.md (taken again with
 * TESSERA_UPDATE_SCREENSHOTS=1, into docs/screenshots/).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const UPDATE_SCREENSHOTS = process.env.TESSERA_UPDATE_SCREENSHOTS === '1';

/** Saves `docs/screenshots/<name>` of the page (or of one element) when TESSERA_UPDATE_SCREENSHOTS=1. */
export async function screenshot(what: Page | Locator, name: string, fullPage = true): Promise<void> {
  if (!UPDATE_SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, name);
  if ('goto' in what) await what.screenshot({ path, fullPage });
  else await what.screenshot({ path });
}

/** Opens `url` signed out: the login page comes, signs `user` in, and waits to land on `landing`. */
export async function logInInBrowser(
  page: Page,
  url: string,
  user: { readonly name: string; readonly password: string },
  landing: RegExp,
): Promise<void> {
  await page.goto(url);
  assert.match(page.url(), /\/servicecenter\/login\?next=/);
  await page.fill('#name', user.name);
  await page.fill('#password', user.password);
  await page.click('#login-button');
  await page.waitForURL(landing);
}

/**
 * The page's script errors and console errors, as they happen; a console error for an
 * answer of `expectedStatus` (a refusal the test asks for) is not one.
 */
export function pageErrors(page: Page, expectedStatus: number): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes(`status of ${expectedStatus}`))
      errors.push(message.text());
  });
  return errors;
}
