import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Browser, type BrowserContext, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';
import { expectAccessible } from './support/page-checks.ts';

/**
 * The login page as a clinician meets it (issue 16): one primary method (the last one used on this
 * browser), the others one click away, only phone methods on a phone, the whole chooser on one
 * 1280×800 screen; a refused qualification as a page of its own; cancelling back to the service.
 * Runs in demo mode, so the terminal has the clearly labelled software HPKI card.
 */
const PORTAL_PORT = 4310;
const RP_PORT = 4311;
const DOCTORS_RP_PORT = 4312;
const SHOTS = `/work/shots/login`;
const root = path.resolve(import.meta.dirname, '../..');
const PHASE = process.env.SHOT_PHASE ?? 'after';

/**
 * The doctor's second certificate and the EHR's registration, as remote-signing.spec.ts seeds them
 * (in a tsx child: the ASN.1 schemas' decorators need tsx).
 */
async function seedSigning(databaseUrl: string, kekFile: string, registrationNumber: string) {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { loadKeyEncryptionKey } = await import(at('src/crypto/key-encryption.ts'));
    const { createKeyStore } = await import(at('src/signing/key-store-factory.ts'));
    const { createSigningKey } = await import(at('src/signing/signing-credentials.ts'));
    const { issueSecondCertificateWithTestCa } = await import(at('src/demo/second-certificate-issuer.ts'));
    const { upsertSigningClient } = await import(at('src/clients/clients.ts'));
    const db = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    const { kek } = loadKeyEncryptionKey({ file: process.env.SEED_KEK_FILE });
    const stores = await createKeyStore({}, { prisma: db.prisma, kek });
    const pki = await createHpkiTestPki();
    const doctor = await db.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: process.env.SEED_REGISTRATION } });
    const credential = await createSigningKey(db.prisma, stores.primary, doctor.id);
    await issueSecondCertificateWithTestCa(db.prisma, credential.id, pki.signCa, [pki.root.der]);
    await upsertSigningClient(db.prisma, { clientId: 'e2e-ehr', name: 'E2E 電子カルテ', redirectUris: [process.env.SEED_RP + '/ehr/callback'], jwksUri: process.env.SEED_RP + '/ehr/jwks' });
    await stores.close();
    await db.close();
    process.stdout.write('\\nSEEDED ' + credential.id + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl, SEED_KEK_FILE: kekFile, SEED_REGISTRATION: registrationNumber, SEED_RP: `http://localhost:${RP_PORT}` },
  });
  if (!stdout.includes('SEEDED ')) throw new Error(`signing seed failed:\n${stdout}`);
}

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let rp: SampleRp;
let doctorsRp: SampleRp;

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-login-page');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  // A service for doctors only: the pharmacist is identified, then refused by its policy.
  const db = await openDatabase({ url: database.url, migrate: true });
  const doctors = await upsertClient(db.prisma, { clientId: 'e2e-doctors', name: '医師専用ネットワーク', redirectUris: [`http://localhost:${DOCTORS_RP_PORT}/callback`] });
  const row = await db.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'e2e-doctors' } });
  await db.prisma.oidcClient.update({ where: { clientId: 'e2e-doctors' }, data: { metadata: { ...(row.metadata as object), allowed_hc_roles: ['Medical Doctor'] } } });
  await db.close();
  portal = new PortalProcess(PORTAL_PORT, database.url, { DEMO: 'true', HPKI_AUTO_ENROL: 'true' });
  await seedSigning(database.url, portal.keyEncryptionKeyFile, 'E2E-MD-1');
  await portal.start();
  rp = await startSampleRelyingParty({
    issuer: `${portal.url}/oidc`,
    clientId: scenario.clientId,
    clientSecret: scenario.clientSecret,
    port: RP_PORT,
    ehr: { clientId: 'e2e-ehr' },
  });
  doctorsRp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: 'e2e-doctors', clientSecret: doctors.clientSecret, port: DOCTORS_RP_PORT });
});

test.afterAll(async () => {
  await rp?.close();
  await doctorsRp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

const TERMINAL = { viewport: { width: 1280, height: 800 } };
// A phone as Chromium emulates one: touch only (pointer: coarse, no fine pointer), a mobile UA.
const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 1,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
};

async function browserFor(browser: Browser, device: typeof TERMINAL | typeof PHONE, locale: 'ja' | 'en'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(device);
  await context.addCookies([{ name: 'lang', value: locale, url: portal.url }]);
  const page = await context.newPage();
  await addVirtualAuthenticator(context, page);
  return { context, page };
}

/** From the service's login button to the settled chooser (the card check answered). */
async function openChooser(page: Page, service: SampleRp = rp) {
  await page.goto(service.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('client-name')).toBeVisible();
  await expect(page.getByTestId('login-checking')).toHaveCount(0);
  await expect(page.getByText(/読み込み中|Loading/)).toHaveCount(0);
}

/**
 * The page is rendered once per language and then served from memory (src/http/interaction-page-cache.ts):
 * every load carries its own nonce — in the CSP and on every script — and its own interaction's uid,
 * never the ones of the load that was rendered, and shows its own service.
 */
test('each load of the login page has its own nonce and uid, though the page is rendered once', async ({ browser }) => {
  const { context, page } = await browserFor(browser, TERMINAL, 'ja');
  try {
    const loads: { uid: string; nonce: string; body: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const document = page.waitForResponse((r) => /\/interaction\/[^/]+$/.test(new URL(r.url()).pathname) && r.request().resourceType() === 'document');
      await openChooser(page);
      const response = await document;
      const nonce = /'nonce-([^']+)'/.exec(response.headers()['content-security-policy'] ?? '')?.[1];
      expect(nonce).toBeTruthy();
      const body = await response.text();
      const scriptNonces = [...body.matchAll(/<script[^>]*\snonce="([^"]+)"/g)].map((m) => m[1]);
      expect(scriptNonces.length).toBeGreaterThan(0);
      expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
      loads.push({ uid: new URL(response.url()).pathname.split('/')[2]!, nonce: nonce!, body });
    }
    for (const [i, load] of loads.entries()) {
      expect(load.body).toContain(load.uid);
      for (const other of loads.filter((_, j) => j !== i)) {
        expect(load.body).not.toContain(other.uid);
        expect(load.body).not.toContain(other.nonce);
      }
    }
  } finally {
    await context.close();
  }
});

test('screenshots of the chooser: terminal 1280×800 and phone 390×844, ja and en', async ({ browser }) => {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [name, device] of [
    ['terminal-1280x800', TERMINAL],
    ['phone-390x844', PHONE],
  ] as const) {
    for (const locale of ['ja', 'en'] as const) {
      const { context, page } = await browserFor(browser, device, locale);
      try {
        await openChooser(page);
        await page.screenshot({ path: `${SHOTS}/${PHASE}-${name}-${locale}.png` });
        await page.screenshot({ path: `${SHOTS}/${PHASE}-${name}-${locale}-full.png`, fullPage: true });
      } finally {
        await context.close();
      }
    }
  }
});

/**
 * The whole chooser, down to its last control (the cancel button), is on the first screen: nothing
 * to scroll to. (Measured in demo mode, whose two notices take ~90 px more than a real terminal.)
 */
async function expectOnOneScreen(page: Page, height: number) {
  await expect(page.getByTestId('cancel')).toBeInViewport({ ratio: 1 });
  const box = (await page.getByTestId('cancel').boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual(height);
}

test('terminal: one main method, every other one line and one click away, all on a 1280×800 screen', async ({ browser }) => {
  for (const locale of ['ja', 'en'] as const) {
    const { context, page } = await browserFor(browser, TERMINAL, locale);
    try {
      await openChooser(page);
      // Nothing remembered yet: the first method that works here (the demo's software HPKI card).
      const primary = page.getByTestId('login-primary');
      await expect(primary).toHaveAttribute('data-method', 'hpki-card');
      await expect(primary.getByTestId('hpki-card-login')).toBeVisible();
      await expect(page.getByTestId('login-last-used')).toHaveCount(0);
      // One "smartphone" entry with both ways, each its own button.
      const others = page.getByTestId('login-others');
      await expect(others.getByTestId('smartphone-section')).toHaveCount(1);
      await expect(others.getByTestId('cross-device-login')).toBeVisible();
      await expect(others.getByTestId('passkey-login')).toBeVisible();
      await expectOnOneScreen(page, 800);
      await expectAccessible(page);

      // One click on the phone's QR button starts it: the smartphone panel becomes the main one.
      await others.getByTestId('cross-device-login').click();
      await expect(page.getByTestId('login-primary')).toHaveAttribute('data-method', 'smartphone');
      await expect(page.getByTestId('cross-device-qr')).toBeVisible();
      await expect(page.getByTestId('login-others').getByTestId('hpki-card-login')).toBeVisible();
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  }
});

test('phone: only the methods that work on a phone, on one screen', async ({ browser }) => {
  for (const locale of ['ja', 'en'] as const) {
    const { context, page } = await browserFor(browser, PHONE, locale);
    try {
      await openChooser(page);
      await expect(page.getByTestId('login-primary')).toHaveAttribute('data-method', 'smartphone');
      await expect(page.getByTestId('passkey-login')).toBeVisible();
      await expect(page.getByTestId('hpki-card-section')).toHaveCount(0);
      await expect(page.getByTestId('hpki-card-login')).toHaveCount(0);
      await expect(page.getByTestId('jpki-section')).toHaveCount(0);
      await expect(page.getByTestId('jpki-login-pin')).toHaveCount(0);
      await expect(page.getByTestId('cross-device-login')).toHaveCount(0);
      await expect(page.getByTestId('login-others')).toHaveCount(0);
      await expectOnOneScreen(page, 844);
      await expectAccessible(page);
    } finally {
      await context.close();
    }
  }
});

test('the method used last in this browser is the main one next time, and the consent is not asked again after a logout', async ({ browser }) => {
  const { context, page } = await browserFor(browser, TERMINAL, 'ja');
  const consentPosts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/interaction\/[^/]+\/consent$/.test(r.url())) consentPosts.push(r.url());
  });
  try {
    await registerPasskey(page, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);
    await openChooser(page);
    await expect(page.getByTestId('login-primary')).toHaveAttribute('data-method', 'hpki-card');
    await page.getByTestId('login-others').getByTestId('passkey-login').click();
    await expect(page.getByTestId('consent')).toBeVisible();
    await expectAccessible(page);
    await page.getByTestId('consent-approve').click();
    await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
    expect(consentPosts).toHaveLength(1);

    // Only the method's id is kept, under one key, on the portal's origin.
    await page.goto(`${portal.url}/`);
    const stored = await page.evaluate(() => Object.fromEntries(Object.entries(window.localStorage)));
    expect(stored).toEqual({ 'hpki-sso:last-login-method': 'passkey' });

    // The service's logout (RP-initiated, with its ID token), then its login again.
    await page.goto(rp.url);
    await page.getByTestId('rp-logout').click();
    // The back-channel logout reached the service too.
    await expect(page.getByTestId('rp-status')).toHaveText(/^(anonymous|logged-out-by-op)$/);
    await openChooser(page);
    await expect(page.getByTestId('login-primary')).toHaveAttribute('data-method', 'smartphone');
    await expect(page.getByTestId('login-last-used')).toBeVisible();
    await expectOnOneScreen(page, 800);
    await page.getByTestId('login-primary').getByTestId('passkey-login').click();
    // Straight back to the service: the consent given before the logout still stands.
    await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
    expect(consentPosts).toHaveLength(1);

    // The remote-signing consent (§10) says what it grants, in the button too, in Japan time.
    await page.goto(`${rp.url}/ehr`);
    await page.getByTestId('ehr-authorize').click();
    const passkey = page.getByTestId('passkey-login');
    await expect(page.getByTestId('signing-consent').or(passkey).first()).toBeVisible();
    if (await passkey.isVisible()) await passkey.click();
    await expect(page.getByTestId('signing-consent')).toBeVisible();
    await expect(page.getByTestId('consent-approve')).toHaveText('電子処方箋への署名を18時間許可する');
    await expect(page.getByTestId('signing-holder')).toHaveText('神楽坂 三十四（医師）の署名用証明書');
    await expect(page.getByTestId('signing-certificate')).toContainText('TestSignCA2-forNonRepudiation');
    await expect(page.getByTestId('signing-certificate')).not.toContainText('CN=');
    await expect(page.getByTestId('signing-documents')).toHaveText('電子処方箋');
    const end = (offsetMinutes: number) =>
      new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
        new Date(Date.now() + 18 * 3600_000 + offsetMinutes * 60_000),
      );
    const until = await page.getByTestId('signing-until').innerText();
    expect([end(-1), end(0)].some((time) => until.startsWith(`${time} JST まで`)), until).toBe(true);
    await expect(page.getByTestId('signing-consent-countdown')).toHaveText(/残り 1[78]時間\d{1,2}分/);
    await expect(page.getByTestId('signing-limit')).toBeVisible();
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/${PHASE}-signing-consent-1280x800-ja.png`, fullPage: true });
    await expectAccessible(page);
    await page.getByTestId('consent-approve').click();
    await expect(page.getByTestId('ehr-status')).toHaveText('authorised');
  } finally {
    await context.close();
  }
});

test('cancelling the login returns to the service with access_denied, which says so in a sentence', async ({ browser }) => {
  const { context, page } = await browserFor(browser, TERMINAL, 'ja');
  try {
    await openChooser(page);
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('rp-error-message')).toContainText('ログインを取りやめました');
    await expect(page.getByTestId('rp-error')).toHaveText('access_denied');
    await expect(page.getByTestId('rp-login')).toBeVisible();
    await expectAccessible(page);
  } finally {
    await context.close();
  }
});

test('a refused qualification is a page of its own, at the top, with the way on', async ({ browser, checks }) => {
  // The refusal is a 403 from the passkey verification, on purpose.
  checks.allowConsole(/passkey\/verify|status of 403/);
  const { context, page } = await browserFor(browser, TERMINAL, 'ja');
  page.on('dialog', (dialog) => void dialog.accept());
  try {
    await registerPasskey(page, `${portal.url}/register/${scenario.pharmacist.codes.fresh}`, scenario.pharmacist.birthPassword);
    await openChooser(page, doctorsRp);
    await page.getByTestId('passkey-login').click();
    const refused = page.getByTestId('login-refused');
    await expect(refused).toBeVisible();
    await expect(refused.getByTestId('error-code')).toHaveText('service_hcrole_required');
    await expect(refused.getByTestId('error')).toContainText('医師 (Medical Doctor)');
    await expect(page.getByTestId('login-refused-title')).toBeFocused();
    // Nothing of the chooser around it, and its title on the first screen.
    await expect(page.getByTestId('login-others')).toHaveCount(0);
    await expect(page.getByTestId('login-primary')).toHaveCount(0);
    expect((await page.getByTestId('login-refused-title').boundingBox())!.y).toBeLessThan(400);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/${PHASE}-refused-terminal-1280x800-ja.png` });
    await expectAccessible(page);
    // Another method: back to the chooser; or back to the service.
    await page.getByTestId('login-refused-retry').click();
    await expect(page.getByTestId('login-primary')).toBeVisible();
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('rp-error')).toHaveText('access_denied');
    // The refusal itself is the verify step's 403 answer, which Chromium logs as a failed resource.
  } finally {
    await context.close();
  }
});
