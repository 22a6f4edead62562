import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Browser, type BrowserContext, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';
import { registerPasskey } from './support/register-passkey.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { softwareCardScript, type SoftwareCardOptions } from '../../src/demo/software-card-script.ts';

/**
 * Seed 003 in a browser: the EHR terminal shows a QR code, the registered phone opens it and
 * approves with biometrics, the terminal's login completes by itself. Then the device change and
 * the immediate reissue of the registration QR (SPEC §8, seed 001), after an HPKI card login.
 * Terminal and phone are two browser contexts, each with its own virtual authenticator.
 */
const PORTAL_PORT = 4250;
const RP_PORT = 4251;
const root = path.resolve(import.meta.dirname, '../..');

type TestCard = Pick<SoftwareCardOptions, 'certificateDer' | 'privateKeyPkcs8' | 'keyAlgorithm'>;

/**
 * The test PKI, loaded into the database, with its valid card recorded as the scenario doctor's
 * certificate, made in a tsx child process (Playwright's transform lacks the legacy decorators the
 * ASN.1 schemas need; same pattern as hpki-card-login.spec.ts). Returns that card.
 */
async function seedTestPkiForDoctor(databaseUrl: string, doctorId: string): Promise<TestCard> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { seedTrustStore } = await import(at('tests/support/seed-trust.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { recordPractitionerCertificate } = await import(at('src/practitioners/practitioner-certificates.ts'));
    const pki = await createHpkiTestPki();
    await seedTrustStore(process.env.SEED_DATABASE_URL, pki);
    const database = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    await recordPractitionerCertificate(database.prisma, process.env.SEED_DOCTOR_ID, pki.practitioners.valid.der, 'authentication');
    await database.close();
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const issued = pki.practitioners.valid;
    const card = {
      certificateDer: b64(issued.der),
      privateKeyPkcs8: b64(await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey)),
      keyAlgorithm: issued.keys.privateKey.algorithm.name === 'ECDSA' ? 'EC' : 'RSA',
    };
    process.stdout.write('\\nTEST-CARD ' + JSON.stringify(card) + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl, SEED_DOCTOR_ID: doctorId },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('TEST-CARD '));
  if (!line) throw new Error(`the test PKI was not made:\n${stdout}`);
  return JSON.parse(line.slice('TEST-CARD '.length)) as TestCard;
}

interface Device {
  context: BrowserContext;
  page: Page;
}

let database: TestDatabase;
let scenario: Scenario;
let card: TestCard;
let portal: PortalProcess;
let rp: SampleRp;
let terminal: Device;
let phone: Device;
let firstUrl: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  database = await createTestDatabase('e2e-cross-device');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  card = await seedTestPkiForDoctor(database.url, scenario.doctor.id);
  portal = new PortalProcess(PORTAL_PORT, database.url);
  await portal.start();
  rp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: scenario.clientId, clientSecret: scenario.clientSecret, port: RP_PORT });
  terminal = await device(browser, { withCard: true });
  phone = await device(browser);
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) {
    await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
  }
});

test.afterAll(async () => {
  await terminal?.context.close();
  await phone?.context.close();
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

/** A browser context with its own authenticator; the terminal also has the HPKI card "extension". */
async function device(browser: Browser, { withCard = false } = {}): Promise<Device> {
  const context = await browser.newContext();
  if (withCard) {
    await context.addInitScript({ content: softwareCardScript({ ...card, origin: portal.url, format: 'jws' }) });
  }
  const page = await context.newPage();
  await addVirtualAuthenticator(context, page);
  return { context, page };
}

/** Terminal: the RP's login page, then 「スマートフォンで認証」; returns the URL the QR code holds. */
async function showQr(start: string): Promise<string> {
  const page = terminal.page;
  await page.goto(start);
  await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
  await page.getByTestId('cross-device-login').click();
  await expect(page.getByTestId('cross-device-qr')).toBeVisible();
  await expect(page.getByTestId('cross-device-countdown')).toHaveText(/あと \d+ 秒/);
  return (await page.getByTestId('cross-device-url').innerText()).trim();
}

async function idTokenClaims(page: Page): Promise<{ amr: string[]; acr: string }> {
  return JSON.parse(await page.getByTestId('id-token-claims').innerText());
}

/** Consent is asked the first time this practitioner uses the service; afterwards the grant stands. */
async function loggedInAtRp(page: Page) {
  const consent = page.getByTestId('consent');
  const loggedIn = page.getByTestId('rp-status').filter({ hasText: 'logged-in' });
  await expect(consent.or(loggedIn)).toBeVisible();
  if (await consent.isVisible()) await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
}

test('the phone registers through its registration QR code', async () => {
  const page = phone.page;
  await registerPasskey(page, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);
});

test('terminal shows the QR, the phone approves, the terminal logs in by itself (amr hwk,user,mca)', async () => {
  await terminal.page.goto(rp.url);
  firstUrl = await showQr(`${rp.url}/login`);
  expect(firstUrl).toMatch(new RegExp(`^${portal.url}/approve/[A-Za-z0-9_-]{43}$`));
  // The countdown runs.
  const before = await terminal.page.getByTestId('cross-device-countdown').innerText();
  await expect(terminal.page.getByTestId('cross-device-countdown')).not.toHaveText(before);

  // The phone sees which service and which terminal it approves, then uses its biometrics.
  await phone.page.goto(firstUrl);
  await expect(phone.page.getByTestId('approve-service')).toHaveText('E2E 地域連携ネットワーク');
  await expect(phone.page.getByTestId('approve-terminal')).toContainText('Chrome');
  await expect(phone.page.getByTestId('approve-terminal-ip')).toHaveText('127.0.0.1');
  await phone.page.getByTestId('approve-button').click();
  await expect(phone.page.getByTestId('approve-done')).toBeVisible();

  // Nobody touches the terminal: it moves on to consent by itself.
  await expect(terminal.page.getByTestId('consent')).toBeVisible();
  await terminal.page.getByTestId('consent-approve').click();
  await expect(terminal.page.getByTestId('rp-status')).toHaveText('logged-in');
  const claims = await idTokenClaims(terminal.page);
  expect(claims.amr).toEqual(['hwk', 'user', 'mca']);
  expect(claims.acr).toBe('urn:hpki-sso:acr:passkey:aal2');
});

test('a used, an unknown and an expired QR URL are refused with a clear page', async ({ checks }) => {
  // Expected 4xx: the refused approval pages answer 4xx on purpose.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  // The terminal keeps polling while the portal is stopped to move time on.
  checks.allowConsole(/Failed to load resource: net::ERR_CONNECTION_REFUSED/);
  await phone.page.goto(firstUrl);
  await expect(phone.page.getByTestId('approve-problem').getByTestId('error-code')).toHaveText('cross_device_used');
  await expect(phone.page.getByTestId('approve-button')).toHaveCount(0);

  await phone.page.goto(`${portal.url}/approve/${crypto.randomBytes(32).toString('base64url')}`);
  await expect(phone.page.getByTestId('approve-problem').getByTestId('error-code')).toHaveText('cross_device_unknown');

  // Two minutes pass (no sleeping): the portal stops, the request's expiry moves into the past.
  const url = await showQr(`${rp.url}/login?max_age=0`);
  await portal.stop();
  const db = await openDatabase({ url: database.url });
  try {
    const { count } = await db.prisma.crossDeviceRequest.updateMany({ where: { status: 'pending' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(count).toBe(1);
  } finally {
    await db.close();
  }
  await portal.start();
  await phone.page.goto(url);
  await expect(phone.page.getByTestId('approve-problem').getByTestId('error-code')).toHaveText('cross_device_expired');
  await expect(phone.page.getByTestId('error')).toContainText('2分');
  // The waiting terminal notices and offers a new code.
  await expect(terminal.page.getByTestId('cross-device-status')).toHaveAttribute('data-status', 'expired');
  await expect(terminal.page.getByTestId('cross-device-new-code')).toBeVisible();
});

test('a phone whose passkey is not the registered one is refused; the registered one then approves', async ({ browser, checks }) => {
  // Expected 4xx: the refusal is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const url = await showQr(`${rp.url}/login?max_age=0`);
  // Another phone with a passkey for this site that the portal never registered.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: crypto.randomBytes(32).toString('base64'),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        userHandle: Buffer.from(scenario.doctor.id).toString('base64'),
        signCount: 0,
      },
    });
    await page.goto(url);
    await page.getByTestId('approve-button').click();
    await expect(page.getByTestId('error-code')).toHaveText('passkey_unknown_credential');
  } finally {
    await context.close();
  }
  await expect(terminal.page.getByTestId('cross-device-status')).toHaveAttribute('data-status', 'waiting');

  await phone.page.goto(url);
  await phone.page.getByTestId('approve-button').click();
  await expect(phone.page.getByTestId('approve-done')).toBeVisible();
  await loggedInAtRp(terminal.page);
  expect((await idTokenClaims(terminal.page)).amr).toEqual(['hwk', 'user', 'mca']);
});

test('device change needs a recent card login; afterwards the old passkey is refused and the new one works', async ({ checks }) => {
  // Expected 4xx: the refusals are the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const page = terminal.page;
  // The terminal's session came from the phone (passkey): the page asks for the card first.
  await page.goto(`${portal.url}/devices`);
  await expect(page.getByTestId('device-label')).toBeVisible();
  await expect(page.getByTestId('device-last-used')).not.toHaveText('まだ使われていません');
  await expect(page.getByTestId('device-change-button')).toHaveCount(0);
  const refused = await page.request.post(`${portal.url}/api/devices/passkey/options`, { headers: { origin: portal.url }, data: {} });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error).toBe('device_change_reauth_required');

  // A fresh HPKI card login (only card methods are offered), back to the page.
  await page.getByTestId('device-reauth-link').click();
  await expect(page.getByTestId('hpki-card-login')).toBeVisible();
  await expect(page.getByTestId('cross-device-login')).toHaveCount(0);
  await page.getByTestId('hpki-card-login').click();
  await expect(page).toHaveURL(`${portal.url}/devices`);

  // The new phone is registered from the terminal (the browser's own QR/hybrid flow; here the
  // terminal context's authenticator stands in for it).
  await page.getByTestId('device-change-button').click();
  await expect(page.getByTestId('device-change-done')).toBeVisible();
  await expect(page.getByTestId('device-last-used')).toHaveText('まだ使われていません');

  // The old phone can no longer approve a login.
  const url = await showQr(`${rp.url}/login?max_age=0`);
  await phone.page.goto(url);
  await phone.page.getByTestId('approve-button').click();
  await expect(phone.page.getByTestId('error-code')).toHaveText('passkey_unknown_credential');

  // The new passkey logs in.
  await page.getByTestId('passkey-login').click();
  await loggedInAtRp(page);
  expect((await idTokenClaims(page)).amr).toEqual(['hwk', 'user']);
});

test('reissue after an HPKI card login: the old code stops working, the new one registers', async ({ checks }) => {
  // Expected 4xx: the old code's page answers 4xx on purpose.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const page = terminal.page;
  await page.goto(`${portal.url}/portal/login?reauth=hpki&return=/devices`);
  await page.getByTestId('hpki-card-login').click();
  await expect(page).toHaveURL(`${portal.url}/devices`);

  await page.getByTestId('reissue-button').click();
  await expect(page.getByTestId('reissue-qr')).toBeVisible();
  await expect(page.getByTestId('reissue-expires')).toBeVisible();
  const earlier = (await page.getByTestId('reissue-url').innerText()).trim();
  await page.getByTestId('reissue-button').click();
  await expect(page.getByTestId('reissue-url')).not.toHaveText(earlier);
  const latest = (await page.getByTestId('reissue-url').innerText()).trim();
  expect(latest).toMatch(new RegExp(`^${portal.url}/register/`));

  await phone.page.goto(earlier);
  await expect(phone.page.getByTestId('registration-problem').getByTestId('error-code')).toHaveText('registration_code_superseded');

  await registerPasskey(phone.page, latest, scenario.doctor.birthPassword);

  // The phone is the device again: it approves the terminal's next login.
  const url = await showQr(`${rp.url}/login?max_age=0`);
  await phone.page.goto(url);
  await phone.page.getByTestId('approve-button').click();
  await expect(phone.page.getByTestId('approve-done')).toBeVisible();
  await loggedInAtRp(page);
  expect((await idTokenClaims(page)).amr).toEqual(['hwk', 'user', 'mca']);
});
