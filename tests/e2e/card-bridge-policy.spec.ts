/**
 * Who may use the card bridge, as the extension decides it in Debian Chromium: the options page (a
 * user's own allow-list) and enterprise policy (`3rdparty.extensions.<id>.allowedOrigins`, read
 * through chrome.storage.managed), which replaces every other list. Only presence is asked (the
 * legacy `version`, answered by the extension itself), so no native host or card is involved.
 *
 * The policy file goes where Chromium on Linux reads it, /etc/chromium/policies/managed: root
 * (CI) — without it the policy test fails and says why.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { test, expect } from './support/checked-test.ts';
import { answers, exchange, extensionId, extensionWorker, launchChromiumWithExtension } from './support/bridge-browser.ts';
import { installChromiumPolicy, type InstalledPolicy } from './support/chromium-policy.ts';
import { expectAccessible } from './support/page-checks.ts';

const PAGE_PORT = 4295;
const root = path.resolve(import.meta.dirname, '../..');
/** Two origins of one plain page server: localhost and 127.0.0.1 are different origins. */
const originA = `http://localhost:${PAGE_PORT}`;
const originB = `http://127.0.0.1:${PAGE_PORT}`;

let tmp: string;
let extensionDir: string;
let pages: http.Server;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'card-bridge-policy-'));
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bridge-build.ts', '--no-executable'], { cwd: root });
  // As a user loads it unpacked without the installer: the build's empty list inside.
  extensionDir = path.join(tmp, 'extension');
  fs.cpSync(path.join(root, 'bridge/extension/dist/unpacked'), extensionDir, { recursive: true });
  expect(JSON.parse(fs.readFileSync(path.join(extensionDir, 'allowed-origins.json'), 'utf8'))).toEqual({ allowedOrigins: [] });
  pages = http.createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html lang="en"><meta charset="utf-8"><title>bridge policy test</title><main><p>page</p></main></html>');
  });
  await new Promise<void>((resolve) => pages.listen(PAGE_PORT, '0.0.0.0', resolve));
});

test.afterAll(async () => {
  await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The extension's answer to the legacy `version` on a page of `origin`, or null for no answer. */
async function versionAnswer(context: BrowserContext, origin: string): Promise<Record<string, unknown> | null> {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/`);
    const id = `v${Math.random().toString(36).slice(2, 12)}`;
    return answers(await exchange(page, [{ id, hwcrypto: true, version: {} }], 3_000, id)).find((m) => m.id === id) ?? null;
  } finally {
    await page.close();
  }
}

async function openOptions(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/options.html`);
  return page;
}

test('options page: a page gets no answer until the user adds its origin; a non-origin is refused with a message', async () => {
  const context = await launchChromiumWithExtension(path.join(tmp, 'profile-options'), extensionDir);
  try {
    await extensionWorker(context);
    expect(await versionAnswer(context, originA)).toBeNull();

    const options = await openOptions(context);
    // The page enables Save once it has read the policy and the stored list into the field;
    // typing before that would be overwritten.
    await expect(options.locator('#save')).toBeEnabled();
    await expect(options.locator('#managed')).toBeHidden();
    await options.locator('#origins').fill(`${originA}\nnot an origin`);
    await options.locator('#save').click();
    await expect(options.locator('#message')).toContainText('not an origin');
    await options.locator('#origins').fill(originA);
    await options.locator('#save').click();
    await expect(options.locator('#message')).toContainText('Saved');
    await expectAccessible(options);

    expect(await versionAnswer(context, originA)).toMatchObject({ version: '0.1.0' });
    // Only the origin that was added.
    expect(await versionAnswer(context, originB)).toBeNull();
  } finally {
    await context.close();
  }
});

test('enterprise policy: its allow-list replaces the user’s, and the options page shows it read-only', async () => {
  let policy: InstalledPolicy | undefined;
  const profile = path.join(tmp, 'profile-policy');
  try {
    // The user's own list first (origin A), in a browser without policy.
    let context = await launchChromiumWithExtension(profile, extensionDir);
    await extensionWorker(context);
    const options = await openOptions(context);
    await options.locator('#origins').fill(originA);
    await options.locator('#save').click();
    await expect(options.locator('#message')).toContainText('Saved');
    await context.close();

    policy = installChromiumPolicy(
      'hpki-sso-e2e-card-bridge',
      { '3rdparty': { extensions: { [extensionId]: { allowedOrigins: [originB] } } } },
      'the card bridge policy test sets the extension allow-list through managed storage',
    );
    context = await launchChromiumWithExtension(profile, extensionDir);
    try {
      await extensionWorker(context);
      // Chromium's first managed-storage read waits for its policy service (~3 s here), and before the
      // service is ready it may answer "no policy" with no change event to follow: the extension asks
      // again while it has no policy (managed-policy.ts). The policy's origin answers once it is known.
      await expect.poll(() => versionAnswer(context, originB), { timeout: 60_000 }).toMatchObject({ version: '0.1.0' });
      expect(await versionAnswer(context, originA)).toBeNull();

      const managed = await openOptions(context);
      await expect(managed.locator('#managed')).toBeVisible();
      await expect(managed.locator('#origins')).toHaveValue(originB);
      await expect(managed.locator('#origins')).toHaveJSProperty('readOnly', true);
      await expect(managed.locator('#save')).toBeDisabled();
    } finally {
      await context.close();
    }
  } finally {
    policy?.remove();
  }
});
