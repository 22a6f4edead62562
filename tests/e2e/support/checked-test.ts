/**
 * `test` and `expect` for every e2e spec: each browser context the test creates — the `context`
 * and `page` fixtures and every `browser.newContext()` — is watched by page-checks.ts, and the
 * test fails at its end if any page had a console error, an uncaught error, a React hydration
 * warning or a serious/critical axe finding. A test that provokes an expected 4xx says so with
 * `checks.allowConsole(/status of 403/)`.
 */
import { test as base, expect } from '@playwright/test';
import { beginChecks, checkOpenPages, endChecks, watchContext, type PageChecks } from './page-checks.ts';

export { expect };
export { watchContext, expectAccessible } from './page-checks.ts';

export const test = base.extend<{ checks: PageChecks }>({
  // Every context the worker's browser makes is watched (browser.newPage goes through newContext).
  browser: [
    async ({ browser }, use) => {
      const newContext = browser.newContext.bind(browser);
      browser.newContext = async (...args: Parameters<typeof browser.newContext>) => watchContext(await newContext(...args));
      await use(browser);
    },
    { scope: 'worker' },
  ],
  checks: [
    async ({}, use, testInfo) => {
      const checks = beginChecks(testInfo.titlePath.join(' › '));
      try {
        await use(checks);
        // Contexts the test made itself are still open here; the fixture context is checked below.
        await checkOpenPages();
      } finally {
        endChecks();
      }
      await testInfo.attach('page-checks.json', { body: JSON.stringify(checks.log, null, 2), contentType: 'application/json' });
      expect(checks.problems, 'console errors, hydration warnings or axe findings on the pages this test visited').toEqual([]);
    },
    { auto: true },
  ],
  // The fixture context's pages get their end-of-test check before the context closes.
  context: async ({ context, checks }, use) => {
    void checks;
    await use(context);
    await checkOpenPages();
  },
});
export type { Browser, BrowserContext, ConsoleMessage, Page } from '@playwright/test';
