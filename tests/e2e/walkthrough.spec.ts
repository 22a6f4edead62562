import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, type BrowserContext, type Page } from './support/checked-test.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';

/**
 * The README's "Demo walk-through (5 minutes)", step by step as written: the portal in demo mode
 * (embedded database, demo data), the registration URL it prints, a phone registering its passkey,
 * `npm run demo:rp` pointed at this portal, login from the terminal with the phone through the QR code
 * (the login page's 「スマートフォン」 line, 「QRコードを表示」; the issue's 「スマートフォンで認証」), consent, the ID token and userinfo, and ログアウト.
 * The sample RP listens on the demo client's registered port (3001), as in the README.
 */
const PORTAL_PORT = 4380;
// The demo client's registered port (DEMO_CLIENT.port; its module is not importable here: the ASN.1
// schemas it pulls in need the legacy decorators Playwright's transform lacks).
const DEMO_RP_PORT = 3001;
const root = path.resolve(import.meta.dirname, '../..');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

let tmp: string;
let portal: PortalProcess;
let demoRp: ChildProcess | undefined;
let demoRpLog = '';
let rpUrl: string;
let registrationUrl: string;
let terminal: { context: BrowserContext; page: Page };
let phone: { context: BrowserContext; page: Page };

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-walkthrough-'));
  // Step 1, `npm start`: demo mode with the embedded database (here a throw-away one).
  portal = new PortalProcess(PORTAL_PORT, `pglite:${tmp}/db`, { DEMO: 'true', DEMO_PKI_DIR: path.join(tmp, 'demo-pki') });
  await portal.start();
  const terminalContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  terminal = { context: terminalContext, page: await terminalContext.newPage() };
  const phoneContext = await browser.newContext(PHONE);
  phone = { context: phoneContext, page: await phoneContext.newPage() };
  await addVirtualAuthenticator(phone.context, phone.page);
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('portal.log', { body: portal?.log ?? '', contentType: 'text/plain' });
    await testInfo.attach('demo-rp.log', { body: demoRpLog, contentType: 'text/plain' });
  }
});

test.afterAll(async () => {
  await terminal?.context.close();
  await phone?.context.close();
  if (demoRp && demoRp.exitCode === null) {
    demoRp.kill('SIGTERM');
    await new Promise((r) => demoRp!.once('exit', r));
  }
  await portal?.stop();
  portal?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('step 1: the console prints the demo doctor’s registration URL and password', async () => {
  expect(portal.log).toContain('神楽坂 三十四 (Medical Doctor), password 19800401:');
  expect(portal.log).toContain('薬師寺 花子 (Pharmacist), password 19851015:');
  const match = new RegExp(`神楽坂 三十四 \\(Medical Doctor\\), password 19800401:\\s+registration URL: (\\S+)`).exec(portal.log);
  expect(match, portal.log).not.toBeNull();
  registrationUrl = match![1]!;
  expect(registrationUrl).toMatch(new RegExp(`^${portal.url}/register/`));
});

test('step 2: the phone opens the registration URL, enters the password and registers its passkey', async () => {
  const page = phone.page;
  await page.goto(registrationUrl);
  await expect(page.getByTestId('registration-name')).toContainText('神楽坂 三十四');
  await page.getByTestId('registration-password').fill('19800401');
  await page.getByTestId('registration-next').click();
  await page.getByTestId('registration-passkey').click();
  await expect(page.getByTestId('registration-done')).toBeVisible();
});

test('step 3: `npm run demo:rp -- --portal <url>` starts the sample RP for this portal', async () => {
  // The script itself, as `npm run demo:rp` runs it, with the portal's URL given by flag.
  const { PUBLIC_URL, PORTAL_URL, DEMO_RP_PORT: _port, ISSUER, ...env } = process.env;
  void [PUBLIC_URL, PORTAL_URL, _port, ISSUER];
  demoRp = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-rp.ts', '--portal', portal.url], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  rpUrl = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      demoRpLog += chunk.toString();
      const ready = /\[demo-rp\] open (\S+) and log in through (\S+);/.exec(demoRpLog);
      if (ready) resolve(ready[1]!);
    };
    demoRp!.stdout!.on('data', onData);
    demoRp!.stderr!.on('data', onData);
    demoRp!.once('exit', (code) => reject(new Error(`demo:rp exited (${code}):\n${demoRpLog}`)));
  });
  expect(rpUrl).toBe(`http://localhost:${DEMO_RP_PORT}`);
  expect(demoRpLog).toContain(`log in through ${portal.url}/oidc;`);
});

test('step 3: from the terminal, 「スマートフォン」→「QRコードを表示」 with the phone, consent, and the RP shows the ID token', async () => {
  const page = terminal.page;
  await page.goto(rpUrl);
  await page.getByRole('link', { name: 'HPKI SSO でログイン' }).click();
  // The terminal has no passkey of its own: the phone's, through the QR code — the login page's
  // 「スマートフォン」 line, button 「QRコードを表示」.
  await page.getByTestId('smartphone-section').getByRole('button', { name: 'QRコードを表示' }).click();
  await expect(page.getByTestId('cross-device-qr')).toBeVisible();
  const qrUrl = (await page.getByTestId('cross-device-url').innerText()).trim();
  expect(qrUrl).toMatch(new RegExp(`^${portal.url}/approve/`));

  // The phone "scans" the QR code and approves with its biometrics.
  await phone.page.goto(qrUrl);
  await phone.page.getByTestId('approve-button').click();
  await expect(phone.page.getByTestId('approve-done')).toBeVisible();

  // The terminal moves on by itself to the consent page.
  await expect(page.getByTestId('consent')).toBeVisible();
  await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  const claims = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  expect(claims.hcRole[0].role).toBe('Medical Doctor');
  expect(claims.amr).toEqual(['hwk', 'user', 'mca']);
  expect(claims.acr).toBeTruthy();
  expect(claims['family_name#ja-Hani-JP']).toBe('神楽坂');
  const userinfo = JSON.parse(await page.getByTestId('userinfo').innerText());
  expect(userinfo.sub).toBe(claims.sub);
});

test('step 3: ログアウト logs out of the portal and, through back-channel logout, of the service', async () => {
  const page = terminal.page;
  await page.getByRole('link', { name: 'ログアウト' }).click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-out-by-op');
  // The portal session is gone too: the portal's home offers the login again.
  await page.goto(portal.url);
  await expect(page.getByTestId('portal-login')).toBeVisible();
  await page.goto(`${rpUrl}/login?prompt=none`);
  await expect(page.locator('body')).toContainText('login_required');
});
