/** What the Service Center browser tests share: signing in through the login page, and the page's errors. */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

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
