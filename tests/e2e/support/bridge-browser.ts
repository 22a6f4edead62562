/**
 * Debian Chromium with the card bridge's built extension, and the page side of the Web eID
 * messages (a page posting to its own window, as web-eid.js does), for the card-bridge specs.
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { chromiumExtensionId } from '../../../bridge/extension/extension-id.ts';
import { watchContext } from './page-checks.ts';

export const extensionId = chromiumExtensionId();

/** Headless new mode with the unpacked extension in `extensionDir`; `profile` is the user data dir. */
export async function launchChromiumWithExtension(profile: string, extensionDir: string): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless=new',
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  // The same console and axe checks as every other e2e page (the PIN window included).
  return watchContext(context);
}

/** The extension's service worker, once it runs. */
export async function extensionWorker(context: BrowserContext) {
  const prefix = `chrome-extension://${extensionId}/`;
  return context.serviceWorkers().find((w) => w.url().startsWith(prefix)) ?? (await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(prefix) }));
}

/**
 * Posts Web eID messages to the page's own window and collects every message the window receives
 * for `waitMs`, or until an answer with action or id `until` (the page's own requests included;
 * callers filter with {@link answers}).
 */
export async function exchange(page: Page, messages: object[], waitMs: number, until?: string): Promise<Record<string, unknown>[]> {
  return page.evaluate(
    ({ messages, waitMs, until }) =>
      new Promise<Record<string, unknown>[]>((resolve) => {
        const seen: Record<string, unknown>[] = [];
        const done = () => {
          window.removeEventListener('message', listener);
          resolve(seen);
        };
        const listener = (event: MessageEvent) => {
          if (event.source !== window || typeof event.data !== 'object' || event.data === null) return;
          seen.push(event.data as Record<string, unknown>);
          const data = event.data as { action?: string; id?: string; hwcrypto?: boolean };
          if (until && (data.action === until || (data.id === until && data.hwcrypto !== true))) done();
        };
        window.addEventListener('message', listener);
        for (const m of messages) window.postMessage(m, '*');
        setTimeout(done, waitMs);
      }),
    { messages, waitMs, until },
  );
}

/** The bridge's answers among what the window saw (not the page's own requests). */
export const answers = (seen: Record<string, unknown>[]) =>
  seen.filter((m) => m.hwcrypto !== true && !['web-eid:status', 'web-eid:authenticate'].includes(m.action as string));
