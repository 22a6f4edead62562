/**
 * The card bridge with its real parts: Debian Chromium with the built extension (bridge/extension,
 * `npm run bridge:build`), its native messaging host (bridge/native-host, installed into the
 * profile by `npm run bridge:install -- --user-data-dir`), real pcscd with vpcd, and the virtual HPKI
 * card (bridge/virtual-card) in reader "Virtual PCD 00 00". Nothing here is a stand-in for the
 * extension or the host; only the card is virtual.
 *
 * Needs: pcscd running with vsmartcard-vpcd (`.ci/run` starts it), the `smartcard` addon built, and
 * no other virtual card in reader 0 while it runs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { test, expect } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { chromiumExtensionId } from '../../bridge/extension/extension-id.ts';
import { answers, exchange, extensionWorker as extensionWorkerOf, launchChromiumWithExtension } from './support/bridge-browser.ts';

const PORTAL_PORT = 4290;
const RP_PORT = 4291;
/** A second allow-listed origin: a plain page that speaks the Web eID messages itself. */
const ALLOWED_PAGE_PORT = 4292;
/** An origin that is not on the allow-list (127.0.0.1, not localhost: another origin). */
const OTHER_PAGE_PORT = 4293;
/** pcsc-lite's client socket (Debian); vpcd's virtual readers need pcscd running. */
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const CARD_PIN = '1234';

const root = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const extensionId = chromiumExtensionId();

let tmp: string;
let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let rp: SampleRp;
let pages: http.Server;
let card: ChildProcess | undefined;
/** The virtual My Number Card in the second reader, once a test put it there. */
let myNumberCard: ChildProcess | undefined;
let cardDir: string;
/** The registration code of a practitioner without an HPKI card (see practitionerWithRegistrationCode). */
let registrationCode: string;
let cardLog = '';
let hostLog = '';
let context: BrowserContext;
let extensionDir: string;
const allowedOrigin = `http://localhost:${ALLOWED_PAGE_PORT}`;
const otherOrigin = `http://127.0.0.1:${OTHER_PAGE_PORT}`;

/**
 * Makes the HPKI test PKI, loads it into the portal's trust store (anchors and CRLs), and writes
 * the valid doctor's authentication key and certificate where the virtual card reads them
 * (`<dir>/.data/bridge/hpki-card.json`, bridge/virtual-card/material.ts) — in a tsx child process,
 * as in hpki-card-login.spec.ts (the ASN.1 schemas need the legacy decorators).
 */
async function createPkiAndCard(databaseUrl: string, cardDir: string): Promise<void> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki, createJpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { seedTrustStore } = await import(at('tests/support/seed-trust.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { importTrustCertificates, importCrl } = await import(at('src/pki/trust/trust-material-repository.ts'));
    const fs = await import('node:fs');
    const [pki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
    await seedTrustStore(process.env.SEED_DATABASE_URL, pki);
    const db = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    await importTrustCertificates(db.prisma, 'jpki', 'anchor', jpki.root.der);
    await importCrl(db.prisma, 'jpki', jpki.rootCrl.der, 'test');
    await db.close();
    const issued = pki.practitioners.valid;
    const pkcs8 = await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey);
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const dir = ${JSON.stringify(path.join(cardDir, '.data/bridge'))};
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(dir + '/hpki-card.json', JSON.stringify({
      certificateDer: b64(issued.der), privateKeyPkcs8: b64(pkcs8), caCertificates: [b64(pki.root.der), b64(pki.authCa.der)],
    }), { mode: 0o600 });
    const mnc = jpki.cards.valid;
    fs.writeFileSync(dir + '/jpki-card.json', JSON.stringify({
      certificateDer: b64(mnc.der), privateKeyPkcs8: b64(await crypto.subtle.exportKey('pkcs8', mnc.keys.privateKey)), caCertificates: [b64(jpki.root.der)],
    }), { mode: 0o600 });
  `;
  await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl },
    maxBuffer: 16 * 1024 * 1024,
  });
}

/**
 * `npm run bridge:virtual-card -- --card hpki|jpki --reader 0|1` (its entry point,
 * bridge/virtual-card/main.ts), run in `cardDir` so it reads this test's card material; resolves
 * once the card is in the reader.
 */
function insertVirtualCard(cardDir: string, type: 'hpki' | 'jpki' = 'hpki', reader: 0 | 1 = 0): Promise<ChildProcess> {
  const tsx = path.join(root, 'node_modules/tsx/dist/loader.mjs');
  const child = spawn(process.execPath, ['--import', tsx, path.join(root, 'bridge/virtual-card/main.ts'), '--card', type, '--reader', String(reader), '--pin', CARD_PIN], {
    cwd: cardDir,
    // tsx finds the project's tsconfig (legacy decorators) from the working directory, which is not the project's here.
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the virtual card did not start:\n${cardLog}`)), 30_000);
    const onData = (chunk: Buffer) => {
      cardLog += chunk.toString();
      if (cardLog.includes('inserted')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the virtual card exited (${code}); is another virtual card in reader ${reader}?\n${cardLog}`));
    });
  });
}

/** Takes a virtual card out (its process removes it from the reader on SIGTERM); no-op once it has exited. */
async function removeVirtualCard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Two plain pages: the allow-listed one may embed a frame of the other origin (`?frame=1`). */
function startPages(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const host = req.headers.host ?? '';
    let body = '<!doctype html><html lang="en"><meta charset="utf-8"><title>bridge test page</title><p id="where">' + host + '</p>';
    if (url.pathname === '/' && url.searchParams.get('frame') === '1') {
      body += `<iframe id="frame" title="another origin" src="${otherOrigin}/frame"></iframe>`;
    }
    if (url.pathname === '/frame') {
      // A frame of another origin asks its parent's bridge for a version and a signature.
      body += `<script>
        parent.postMessage({ id: 'fromframeversion0000000', hwcrypto: true, version: {} }, '*');
        parent.postMessage({ action: 'web-eid:status', libraryVersion: '2.0.0' }, '*');
      </script>`;
    }
    res.writeHead(url.pathname === '/' || url.pathname === '/frame' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  });
  const second = http.createServer((req, res) => server.emit('request', req, res));
  return new Promise((resolve) =>
    server.listen(ALLOWED_PAGE_PORT, 'localhost', () => second.listen(OTHER_PAGE_PORT, '127.0.0.1', () => {
      server.on('close', () => second.close());
      resolve(server);
    })),
  );
}

/** The extension's PIN window, once it opens. */
function pinWindow(): Promise<Page> {
  return context.waitForEvent('page', { predicate: (p) => p.url().startsWith(`chrome-extension://${extensionId}/pin.html`), timeout: 20_000 });
}

async function enterPin(pin: Page, value: string) {
  await pin.getByTestId('pin-input').fill(value);
  await pin.getByTestId('pin-ok').click();
}

/** Console lines of every page of the context, with their page's URL. */
const consoleLines: { url: string; type: string; text: string }[] = [];
const pageErrors: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // Not a probe of vpcd's port: a connection there looks to pcscd like a card being inserted.
  if (!fs.existsSync(PCSCD_SOCKET)) throw new Error(`pcscd is not running (${PCSCD_SOCKET} is missing): start it (.ci/run does)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'card-bridge-e2e-'));

  // The extension and the host bundle, as a terminal gets them; a copy of the unpacked folder,
  // because the installer writes the allow-list into it.
  await run(process.execPath, ['--import', 'tsx', 'scripts/bridge-build.ts'], { cwd: root });
  extensionDir = path.join(tmp, 'extension');
  fs.cpSync(path.join(root, 'bridge/extension/dist/unpacked'), extensionDir, { recursive: true });
  const profile = path.join(tmp, 'profile');
  hostLog = path.join(tmp, 'native-host.log');
  const portalOrigin = `http://localhost:${PORTAL_PORT}`;
  const install = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/bridge-install.ts', '--browser', 'chromium', '--origin', portalOrigin, '--origin', allowedOrigin,
      '--user-data-dir', profile, '--extension-dir', extensionDir, '--log', hostLog],
    { cwd: root },
  );
  expect(install.stdout).toContain(extensionId);
  const hostManifest = JSON.parse(fs.readFileSync(path.join(profile, 'NativeMessagingHosts/jp.hpki_sso.card_bridge.json'), 'utf8'));
  expect(hostManifest.allowed_origins).toEqual([`chrome-extension://${extensionId}/`]);

  database = await createTestDatabase('e2e-card-bridge');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  cardDir = path.join(tmp, 'card');
  await createPkiAndCard(database.url, cardDir);
  registrationCode = await practitionerWithRegistrationCode();
  portal = new PortalProcess(PORTAL_PORT, database.url, { HPKI_AUTO_ENROL: 'true' });
  await portal.start();
  expect(portal.url).toBe(portalOrigin);
  rp = await startSampleRelyingParty({
    issuer: `${portal.url}/oidc`,
    clientId: scenario.clientId,
    clientSecret: scenario.clientSecret,
    port: RP_PORT,
  });
  pages = await startPages();
  card = await insertVirtualCard(cardDir);

  context = await launchWithExtension(profile);
  const watch = (page: Page) => {
    page.on('console', (m: ConsoleMessage) => consoleLines.push({ url: page.url(), type: m.type(), text: m.text() }));
    page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  // A freshly installed extension needs a moment before its content script is injected into pages.
  await extensionWorker();
});

const extensionWorker = () => extensionWorkerOf(context);

/** Debian Chromium, headless new mode, with the built extension; `profile` holds the host manifest (or not). */
const launchWithExtension = (profile: string) => launchChromiumWithExtension(profile, extensionDir);

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) {
    if (portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
    await testInfo.attach('virtual-card.log', { body: cardLog, contentType: 'text/plain' });
    if (hostLog && fs.existsSync(hostLog)) await testInfo.attach('native-host.log', { body: fs.readFileSync(hostLog, 'utf8'), contentType: 'text/plain' });
    await testInfo.attach('console.json', { body: JSON.stringify({ consoleLines, pageErrors }, null, 2), contentType: 'application/json' });
  }
});

test.afterAll(async () => {
  await context?.close();
  for (const virtual of [card, myNumberCard]) if (virtual) await removeVirtualCard(virtual);
  await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the extension loads with its fixed id and its service worker runs', async () => {
  const worker = await extensionWorker();
  expect(worker.url()).toBe(`chrome-extension://${extensionId}/service-worker.js`);
});

test('current Web eID status on an allow-listed page: ack, then the extension and host versions', async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${allowedOrigin}/`);
    const seen = answers(await exchange(page, [{ action: 'web-eid:status', libraryVersion: '2.0.0' }], 15_000, 'web-eid:status-success'));
    expect(seen[0]).toEqual({ action: 'web-eid:status-ack' });
    expect(seen[1]).toMatchObject({ action: 'web-eid:status-success', library: '2.0.0', extension: '0.1.0', nativeApp: '1.0.0' });
  } finally {
    await page.close();
  }
});

test('HPKI card login end to end: legacy web-eid messages → PIN window (wrong PIN, then right) → ID token', async () => {
  const page = await context.newPage();
  try {
    await context.clearCookies();
    await page.goto(rp.url);
    await page.getByTestId('rp-login').click();
    await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
    // The button shows only because the extension answered the package's version request.
    await expect(page.getByTestId('hpki-card-login')).toBeVisible();
    await expect(page.getByTestId('hpki-card-demo')).toHaveCount(0);

    const opened = pinWindow();
    const verify = page.waitForRequest((r) => r.url().endsWith('/hpki-card/verify'), { timeout: 60_000 });
    const started = Date.now();
    await page.getByTestId('hpki-card-login').click();
    const pin = await opened;
    // The window names the origin the browser reported, the card, and the tries left.
    await expect(pin.getByTestId('pin-origin')).toHaveText(portal.url);
    await expect(pin.getByTestId('pin-card')).toContainText('HPKI');
    const tries = Number(await pin.getByTestId('pin-tries').innerText());
    expect(tries).toBeGreaterThan(1);

    await enterPin(pin, '9999');
    await expect(pin.getByTestId('pin-message')).toContainText(`残り ${tries - 1} 回`);
    await expect(pin.getByTestId('pin-tries')).toHaveText(String(tries - 1));

    const closed = pin.waitForEvent('close');
    await enterPin(pin, CARD_PIN);
    await closed;
    const sent = (await verify).postDataJSON() as { nonce: string; token: string };
    expect(typeof sent.token).toBe('string');
    expect(sent.token.split('.')).toHaveLength(3);
    const header = JSON.parse(Buffer.from(sent.token.split('.')[0]!, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(sent.token.split('.')[1]!, 'base64url').toString());
    expect(header.x5c).toHaveLength(1);
    expect(payload.aud).toBe(portal.url);
    expect(payload.nonce).toBe(sent.nonce);
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(300);

    const consent = page.getByTestId('consent');
    const loggedIn = page.getByTestId('rp-status').filter({ hasText: 'logged-in' });
    await expect(consent.or(loggedIn)).toBeVisible();
    if (await consent.isVisible()) await page.getByTestId('consent-approve').click();
    await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
    test.info().annotations.push({ type: 'login-ms (click → token posted, incl. two PIN entries)', description: String(Date.now() - started) });
    const claims = JSON.parse(await page.getByTestId('id-token-claims').innerText());
    expect(claims.hcRole.map((r: { role: string }) => r.role)).toEqual(['Medical Doctor']);
    expect(claims.amr).toEqual(['sc', 'pin', 'hwk']);

    // The console stayed clean: no errors, no nonce or token, no PIN, on the portal or the PIN window.
    const secrets = [sent.nonce, sent.token, sent.token.split('.')[2]!, CARD_PIN, '9999'];
    for (const line of consoleLines) {
      expect(line.type, `${line.url}: ${line.text}`).not.toBe('error');
      for (const secret of secrets) expect(line.text).not.toContain(secret);
    }
    expect(pageErrors).toEqual([]);
  } finally {
    await page.close();
  }
});

test('cancelling the PIN window gives the page card_cancelled', async () => {
  const page = await context.newPage();
  try {
    await context.clearCookies(); // the persistent profile is still logged in from the test before
    await page.goto(rp.url);
    await page.getByTestId('rp-login').click();
    await expect(page.getByTestId('hpki-card-login')).toBeVisible();
    const opened = pinWindow();
    await page.getByTestId('hpki-card-login').click();
    const pin = await opened;
    await pin.getByTestId('pin-cancel').click();
    const section = page.getByTestId('hpki-card-section');
    await expect(section.getByTestId('error-code')).toHaveText('card_cancelled');
    await expect(section.getByTestId('hpki-card-error-reason')).toContainText('CKR_FUNCTION_CANCELED');
    await expect(page.getByTestId('hpki-card-login')).toBeEnabled();
  } finally {
    await page.close();
  }
});

test('a page on an origin that is not allow-listed gets no answer at all, and no PIN window opens', async () => {
  const page = await context.newPage();
  const windows: string[] = [];
  const onPage = (p: Page) => windows.push(p.url());
  context.on('page', onPage);
  try {
    await page.goto(`${otherOrigin}/`);
    const nonce = 'A'.repeat(44);
    const seen = await exchange(
      page,
      [
        { id: 'otherversion00000000000', hwcrypto: true, version: {} },
        { id: 'otherauthenticate000000', hwcrypto: true, authenticate: { nonce } },
        { action: 'web-eid:status', libraryVersion: '2.0.0' },
        { action: 'web-eid:authenticate', libraryVersion: '2.0.0', challengeNonce: nonce },
      ],
      4_000,
    );
    expect(answers(seen)).toEqual([]);
    expect(windows.filter((u) => u.includes('pin.html'))).toEqual([]);
  } finally {
    context.off('page', onPage);
    await page.close();
  }
});

test('messages from a frame of another origin inside an allow-listed page are ignored', async () => {
  const page = await context.newPage();
  try {
    const seen: unknown[] = [];
    await page.exposeFunction('recordMessage', (m: unknown) => seen.push(m));
    await page.addInitScript(() => {
      window.addEventListener('message', (e) => (window as unknown as { recordMessage(m: unknown): void }).recordMessage(e.data));
    });
    await page.goto(`${allowedOrigin}/?frame=1`);
    await expect(page.frameLocator('#frame').locator('#where')).toHaveText(`127.0.0.1:${OTHER_PAGE_PORT}`);
    await page.waitForTimeout(3_000);
    // Only the frame's own two requests arrived; the bridge answered neither.
    expect(seen).toHaveLength(2);
    expect(seen.every((m) => (m as { hwcrypto?: boolean }).hwcrypto === true || (m as { action?: string }).action === 'web-eid:status')).toBe(true);
  } finally {
    await page.close();
  }
});

test('current Web eID authenticate through the PIN window gives a web-eid:1.0 token', async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${allowedOrigin}/`);
    const opened = pinWindow();
    const result = exchange(
      page,
      [{ action: 'web-eid:authenticate', libraryVersion: '2.0.0', challengeNonce: 'B'.repeat(44), options: { card: 'hpki' } }],
      60_000,
      'web-eid:authenticate-success',
    );
    const pin = await opened;
    await expect(pin.getByTestId('pin-origin')).toHaveText(allowedOrigin);
    await enterPin(pin, CARD_PIN);
    const seen = answers(await result);
    expect(seen[0]).toEqual({ action: 'web-eid:authenticate-ack' });
    expect(seen[1]).toMatchObject({ action: 'web-eid:authenticate-success', format: 'web-eid:1.0', algorithm: 'RS256' });
    expect(typeof seen[1]!.unverifiedCertificate).toBe('string');
    expect(typeof seen[1]!.signature).toBe('string');
  } finally {
    await page.close();
  }
});

test('a second request while the PIN window is open is answered busy; cancelling ends the first', async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${allowedOrigin}/`);
    const opened = pinWindow();
    const first = exchange(page, [{ action: 'web-eid:authenticate', libraryVersion: '2.0.0', challengeNonce: 'D'.repeat(44) }], 60_000, 'web-eid:authenticate-failure');
    const pin = await opened;
    const second = answers(await exchange(page, [{ id: 'whilebusy00000000000000', hwcrypto: true, authenticate: { nonce: 'E'.repeat(44) } }], 15_000, 'whilebusy00000000000000'));
    expect(second).toEqual([{ id: 'whilebusy00000000000000', error: 'ERR_WEBEID_ACTION_PENDING' }]);
    await pin.getByTestId('pin-cancel').click();
    const failure = answers(await first).find((m) => m.action === 'web-eid:authenticate-failure');
    expect(failure).toMatchObject({ error: { code: 'ERR_WEBEID_USER_CANCELLED', reason: 'cancelled' } });
  } finally {
    await page.close();
  }
});

test('a nonce outside 43–128 characters is refused by the extension without a PIN window', async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${allowedOrigin}/`);
    const seen = answers(await exchange(page, [{ id: 'shortnonce0000000000000', hwcrypto: true, authenticate: { nonce: 'short' } }], 5_000));
    expect(seen).toEqual([{ id: 'shortnonce0000000000000', error: 'invalid_argument' }]);
  } finally {
    await page.close();
  }
});

test("a relay (another allow-listed origin has the portal's challenge signed) is refused by the portal", async ({ checks }) => {
  // Expected 4xx: the portal's refusal (401) of the relayed token is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 401 \(Unauthorized\)/);
  const portalPage = await context.newPage();
  const relayPage = await context.newPage();
  try {
    await context.clearCookies();
    await portalPage.goto(rp.url);
    await portalPage.getByTestId('rp-login').click();
    await expect(portalPage.getByTestId('hpki-card-login')).toBeVisible();
    const base = new URL(portalPage.url()).pathname;
    const { nonce } = await portalPage.evaluate(async (base) => {
      const res = await fetch(`${base}/hpki-card/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return (await res.json()) as { nonce: string };
    }, base);

    // The other page asks the bridge to sign the portal's nonce: the token is bound to its own origin.
    await relayPage.goto(`${allowedOrigin}/`);
    const opened = pinWindow();
    const result = exchange(relayPage, [{ id: 'relayattempt00000000000', hwcrypto: true, authenticate: { nonce } }], 60_000, 'relayattempt00000000000');
    const pin = await opened;
    await expect(pin.getByTestId('pin-origin')).toHaveText(allowedOrigin);
    await enterPin(pin, CARD_PIN);
    const reply = answers(await result).find((m) => m.id === 'relayattempt00000000000') as { token: string };
    const payload = JSON.parse(Buffer.from(reply.token.split('.')[1]!, 'base64url').toString());
    expect(payload.aud).toBe(allowedOrigin);

    const refused = await portalPage.evaluate(
      async ({ base, nonce, token }) => {
        const res = await fetch(`${base}/hpki-card/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nonce, token }) });
        return { status: res.status, body: (await res.json()) as { error: string } };
      },
      { base, nonce, token: reply.token },
    );
    expect(refused.status).toBe(401);
    expect(refused.body.error).toBe('card_origin_mismatch');
  } finally {
    await relayPage.close();
    await portalPage.close();
  }
});

test('without the native host installed, the page is told the bridge is unavailable', async () => {
  const bare = await launchWithExtension(path.join(tmp, 'profile-without-host'));
  try {
    const page = await bare.newPage();
    await page.goto(`${allowedOrigin}/`);
    const status = answers(await exchange(page, [{ action: 'web-eid:status', libraryVersion: '2.0.0' }], 15_000, 'web-eid:status-failure'));
    expect(status[1]).toMatchObject({ action: 'web-eid:status-failure', error: { code: 'ERR_WEBEID_NATIVE_UNAVAILABLE', reason: 'host_unavailable' } });
    const legacy = answers(await exchange(page, [{ id: 'nohost00000000000000000', hwcrypto: true, authenticate: { nonce: 'C'.repeat(44) } }], 15_000, 'nohost00000000000000000'));
    // The portal's page maps this to card_extension_missing.
    expect(legacy).toEqual([{ id: 'nohost00000000000000000', error: 'ERR_WEBEID_NATIVE_UNAVAILABLE' }]);
  } finally {
    await bare.close();
  }
});

/** Starts a login at the sample RP in `page`, with the portal's login page showing. */
async function openLogin(page: Page) {
  await context.clearCookies();
  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
}

/** Consent if asked, then the sample RP's ID token claims. */
async function finishAtRp(page: Page): Promise<Record<string, unknown>> {
  const consent = page.getByTestId('consent');
  const loggedIn = page.getByTestId('rp-status').filter({ hasText: 'logged-in' });
  await expect(consent.or(loggedIn)).toBeVisible({ timeout: 30_000 });
  if (await consent.isVisible()) await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  return JSON.parse(await page.getByTestId('id-token-claims').innerText()) as Record<string, unknown>;
}

test('asking for the My Number Card with only the HPKI card in the reader: no PIN window, the page names the button to press', async () => {
  const page = await context.newPage();
  const windows: string[] = [];
  const onPage = (p: Page) => windows.push(p.url());
  context.on('page', onPage);
  try {
    await openLogin(page);
    // Outside the demo the page offers only the bridge: no PIN field of its own.
    await expect(page.getByTestId('jpki-login-read')).toBeVisible();
    await expect(page.getByTestId('jpki-login-pin')).toHaveCount(0);
    await page.getByTestId('jpki-login-read').click();
    const failure = page.getByTestId('jpki-login-failure');
    await expect(failure.getByTestId('error-code')).toHaveText('card_wrong_type_hpki');
    await expect(failure).toContainText('「HPKIカードでログイン」を押してください');
    await expect(failure.getByTestId('jpki-login-error-reason')).toContainText('wrong_card_type');
    expect(windows.filter((u) => u.includes('pin.html'))).toEqual([]);
    await failure.getByTestId('jpki-login-use-other').click();
    await expect(page).toHaveURL(/#hpki-card-section$/);
  } finally {
    context.off('page', onPage);
    await page.close();
  }
});

test('My Number Card link through the bridge: HPKI login, then the card in the second reader signs in the PIN window', async () => {
  myNumberCard = await insertVirtualCard(cardDir, 'jpki', 1);
  const page = await context.newPage();
  try {
    await context.clearCookies();
    await page.goto(`${portal.url}/my-number-card`);
    await page.getByTestId('portal-login').click();
    // The HPKI card in reader 0 proves the practitioner (both cards are in readers now).
    let opened = pinWindow();
    await page.getByTestId('hpki-card-login').click();
    let pin = await opened;
    await expect(pin.getByTestId('pin-card')).toContainText('HPKI');
    await enterPin(pin, CARD_PIN);
    await expect(page.getByTestId('mnc-link-state')).toHaveText('マイナンバーカードは連携されていません。');
    await expect(page.getByTestId('mnc-link-pin')).toHaveCount(0);

    const linkRequest = page.waitForRequest((r) => r.url().endsWith('/api/my-number-card/link'), { timeout: 60_000 });
    opened = pinWindow();
    await page.getByTestId('mnc-link-read').click();
    pin = await opened;
    await expect(pin.getByTestId('pin-origin')).toHaveText(portal.url);
    await expect(pin.getByTestId('pin-card')).toContainText('マイナンバーカード');
    await enterPin(pin, CARD_PIN);
    const sent = (await linkRequest).postDataJSON() as { nonce: string; token: string };
    // The legacy JWS of the bridge, bound to the portal's origin and the challenge.
    const payload = JSON.parse(Buffer.from(sent.token.split('.')[1]!, 'base64url').toString());
    expect(payload.aud).toBe(portal.url);
    expect(payload.nonce).toBe(sent.nonce);
    await expect(page.getByTestId('mnc-link-state')).toContainText('連携したマイナンバーカードがあります');
  } finally {
    await page.close();
  }
});

test('My Number Card login end to end through the bridge: ID token with the HPKI qualification at the JPKI level', async () => {
  const page = await context.newPage();
  try {
    const firstLine = consoleLines.length;
    const firstError = pageErrors.length;
    await openLogin(page);
    const opened = pinWindow();
    const started = Date.now();
    await page.getByTestId('jpki-login-read').click();
    const pin = await opened;
    await expect(pin.getByTestId('pin-card')).toContainText('マイナンバーカード');
    const tries = Number(await pin.getByTestId('pin-tries').innerText());
    await enterPin(pin, '9999');
    await expect(pin.getByTestId('pin-tries')).toHaveText(String(tries - 1));
    await enterPin(pin, CARD_PIN);
    const claims = await finishAtRp(page);
    test.info().annotations.push({ type: 'mnc-login-ms (click → RP logged in, incl. two PIN entries)', description: String(Date.now() - started) });
    expect((claims.hcRole as { role: string }[]).map((r) => r.role)).toEqual(['Medical Doctor']);
    expect(claims.acr).toBe('urn:hpki-sso:acr:jpki:aal3');
    expect(claims.amr).toEqual(['sc', 'pin', 'hwk']);
    for (const line of consoleLines.slice(firstLine)) {
      expect(line.type, `${line.url}: ${line.text}`).not.toBe('error');
      expect(line.text).not.toContain('9999');
    }
    expect(pageErrors.slice(firstError)).toEqual([]);
  } finally {
    await page.close();
  }
});

/**
 * A practitioner the SSO center registered without an HPKI card, and their registration code (its
 * password is the birth date 19850615) — in a tsx child process, as the PKI above, before the
 * portal starts (the embedded database has one user at a time).
 */
async function practitionerWithRegistrationCode(): Promise<string> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { createPractitioner } = await import(at('src/practitioners/practitioner.ts'));
    const { issueRegistrationCode } = await import(at('src/practitioners/registration-codes.ts'));
    const db = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    const p = await createPractitioner(db.prisma, {
      registrationNumber: 'E2E-MNC-1', familyName: 'Kouno', givenName: 'Hana', familyNameKanji: '河野', givenNameKanji: '花',
      birthDate: '1985-06-15', hcRoles: [{ role: 'Pharmacist', codingScheme: '1.2.392.100495.1.6.1.1' }],
    });
    const { code } = await issueRegistrationCode(db.prisma, p.id);
    await db.close();
    process.stdout.write('\\nCODE ' + code + '\\n');
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, SEED_DATABASE_URL: database.url } });
  const line = stdout.split('\n').find((l) => l.startsWith('CODE '));
  if (!line) throw new Error(`no registration code:\n${stdout}`);
  return line.slice('CODE '.length).trim();
}

test('without an HPKI card: the registration code and the My Number Card through the bridge make the first link, then a login', async ({ checks }) => {
  // Expected 4xx: the wrong birth date's refusal (401) is part of the test.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 401 \(Unauthorized\)/);
  const page = await context.newPage();
  try {
    // The card is the doctor's from the tests above: the doctor unlinks it first.
    await context.clearCookies();
    await page.goto(`${portal.url}/my-number-card`);
    await page.getByTestId('portal-login').click();
    const opened = pinWindow();
    await page.getByTestId('hpki-card-login').click();
    await enterPin(await opened, CARD_PIN);
    await page.getByTestId('mnc-unlink').click();
    await expect(page.getByTestId('mnc-link-state')).toHaveText('マイナンバーカードは連携されていません。');

    await context.clearCookies();
    await page.goto(`${portal.url}/register/${registrationCode}`);
    const section = page.getByTestId('registration-mnc');
    await expect(section).toBeVisible();
    // A wrong birth date first: counted, no PIN window.
    await section.getByTestId('registration-mnc-password').fill('19850616');
    await section.getByTestId('registration-mnc-link').click();
    await expect(section.getByTestId('error-code')).toHaveText('registration_password_wrong');
    await section.getByTestId('registration-mnc-password').fill('19850615');
    const pinOpened = pinWindow();
    await section.getByTestId('registration-mnc-link').click();
    const pin = await pinOpened;
    await expect(pin.getByTestId('pin-card')).toContainText('マイナンバーカード');
    await enterPin(pin, CARD_PIN);
    await expect(section.getByTestId('registration-mnc-done')).toBeVisible();
    // The passkey step is still there for the phone.
    await expect(page.getByTestId('registration-step-password')).toBeVisible();

    await openLogin(page);
    const loginPin = pinWindow();
    await page.getByTestId('jpki-login-read').click();
    await enterPin(await loginPin, CARD_PIN);
    const claims = await finishAtRp(page);
    expect(claims.family_name ?? claims.name).toBeTruthy();
    expect(JSON.stringify(claims)).toContain('Kouno');
    expect((claims.hcRole as { role: string }[]).map((r) => r.role)).toEqual(['Pharmacist']);
    expect(claims.acr).toBe('urn:hpki-sso:acr:jpki:aal3');
  } finally {
    await page.close();
  }
});

test('asking for the HPKI card with only the My Number Card in the reader names the My Number Card section', async () => {
  await removeVirtualCard(card!);
  const page = await context.newPage();
  try {
    await openLogin(page);
    await page.getByTestId('hpki-card-login').click();
    const section = page.getByTestId('hpki-card-section');
    await expect(section.getByTestId('error-code')).toHaveText(/card_wrong_type_jpki|card_not_present/);
    // Right after the removal pcscd may still list the HPKI card; once it is gone, the answer is the wrong card.
    if ((await section.getByTestId('error-code').innerText()) !== 'card_wrong_type_jpki') {
      await page.getByTestId('hpki-card-login').click();
      await expect(section.getByTestId('error-code')).toHaveText('card_wrong_type_jpki');
    }
    await section.getByTestId('hpki-card-use-other').click();
    await expect(page).toHaveURL(/#my-number-card-section$/);
  } finally {
    await page.close();
  }
  card = await insertVirtualCard(cardDir, 'hpki', 0);
  await removeVirtualCard(myNumberCard!);
});

test('with the card taken out of the reader, the login page shows card_not_present', async () => {
  await removeVirtualCard(card!);
  const page = await context.newPage();
  try {
    await context.clearCookies();
    await page.goto(rp.url);
    await page.getByTestId('rp-login').click();
    await expect(page.getByTestId('hpki-card-login')).toBeVisible();
    await page.getByTestId('hpki-card-login').click();
    const section = page.getByTestId('hpki-card-section');
    await expect(section.getByTestId('error-code')).toHaveText('card_not_present');
    // Right after the removal pcscd may still list the card: the host then reports it removed.
    await expect(section.getByTestId('hpki-card-error-reason')).toHaveText(/SCARD_E_NO_SMARTCARD|SCARD_W_REMOVED_CARD/);
  } finally {
    await page.close();
  }
});
