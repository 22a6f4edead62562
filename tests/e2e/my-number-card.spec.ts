import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Browser, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';

const PORTAL_PORT = 4260;
const RP_PORT = 4261;
const PIN = '1234';
const root = path.resolve(import.meta.dirname, '../..');

type Scripts = { hpkiCard: string; mnc: Record<'valid' | 'secondHolder' | 'revoked', string> };

/**
 * Makes the HPKI and JPKI test hierarchies, loads their anchors and CRLs, and builds the page
 * scripts of the test extension (HPKI card) and the APDU-level My Number Card emulator — in a tsx
 * child process, because Playwright's transform does not apply the ASN.1 schemas' decorators.
 */
async function seedPkisAndScripts(databaseUrl: string, origin: string): Promise<Scripts> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki, createJpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { seedTrustStore } = await import(at('tests/support/seed-trust.ts'));
    const { openDatabase } = await import(at('src/db/open-database.ts'));
    const { importTrustCertificates, importCrl } = await import(at('src/pki/trust/trust-material-repository.ts'));
    const { softwareCardScript } = await import(at('src/demo/software-card-script.ts'));
    const { softwareMyNumberCardScript } = await import(at('src/demo/software-my-number-card.ts'));
    const [hpki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
    await seedTrustStore(process.env.SEED_DATABASE_URL, hpki);
    const db = await openDatabase({ url: process.env.SEED_DATABASE_URL, migrate: true });
    await importTrustCertificates(db.prisma, 'jpki', 'anchor', jpki.root.der);
    await importCrl(db.prisma, 'jpki', jpki.rootCrl.der, 'test');
    await db.close();
    const pkcs8 = async (issued) => new Uint8Array(await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey));
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const valid = hpki.practitioners.valid;
    const hpkiCard = softwareCardScript({ certificateDer: b64(valid.der), privateKeyPkcs8: b64(await pkcs8(valid)), keyAlgorithm: 'RSA', format: 'web-eid:1', origin: process.env.SEED_ORIGIN });
    const mnc = {};
    for (const name of ['valid', 'secondHolder', 'revoked']) {
      const card = jpki.cards[name];
      mnc[name] = softwareMyNumberCardScript({ certificateDer: card.der, privateKeyPkcs8: await pkcs8(card), pin: ${JSON.stringify(PIN)} });
    }
    process.stdout.write('\\nTEST-SCRIPTS ' + JSON.stringify({ hpkiCard, mnc }) + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl, SEED_ORIGIN: origin },
    maxBuffer: 32 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('TEST-SCRIPTS '));
  if (!line) throw new Error(`the test PKIs were not made:\n${stdout}`);
  return JSON.parse(line.slice('TEST-SCRIPTS '.length)) as Scripts;
}

let database: TestDatabase;
let scenario: Scenario;
let scripts: Scripts;
let portal: PortalProcess;
let rp: SampleRp;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-mnc');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  scripts = await seedPkisAndScripts(database.url, `http://localhost:${PORTAL_PORT}`);
  // The page-level software card (PIN on the page, PC/SC pass-through) makes a proof without an
  // origin, which the portal takes only with JPKI_UNBOUND_PROOF; card-bridge.spec.ts runs the real bridge.
  portal = new PortalProcess(PORTAL_PORT, database.url, { HPKI_AUTO_ENROL: 'true', JPKI_UNBOUND_PROOF: 'true' });
  await portal.start();
  rp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: scenario.clientId, clientSecret: scenario.clientSecret, port: RP_PORT });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
});

test.afterAll(async () => {
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

/** A browser with the card extension: the HPKI test card and one My Number Card on the reader. */
async function browserWithCards(browser: Browser, mnc: keyof Scripts['mnc']) {
  const context = await browser.newContext();
  await context.addInitScript({ content: scripts.hpkiCard });
  await context.addInitScript({ content: scripts.mnc[mnc] });
  const page = await context.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  return { context, page, consoleLines };
}

test('asking the bridge for the My Number Card while an HPKI card is in the reader: the page says which button to press', async ({ browser }) => {
  const { page } = await browserWithCards(browser, 'valid');
  await openRpLogin(page);
  // The test extension is an HPKI card: it answers a request for the My Number Card as the bridge does.
  await page.getByTestId('jpki-login-read').click();
  const failure = page.getByTestId('jpki-login-failure');
  await expect(failure.getByTestId('error-code')).toHaveText('card_wrong_type_hpki');
  await expect(failure).toContainText('「HPKIカードでログイン」を押してください');
  await failure.getByTestId('jpki-login-use-other').click();
  await expect(page).toHaveURL(/#hpki-card-section$/);
  await page.getByTestId('hpki-card-login').click();
  const consent = page.getByTestId('consent');
  await expect(consent.or(page.getByTestId('rp-status'))).toBeVisible();
});

async function openRpLogin(page: Page) {
  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('jpki-section')).toBeVisible();
  // The HPKI card is the main method here; the My Number Card's PIN form is one click away.
  await expect(page.getByTestId('login-primary')).toHaveAttribute('data-method', 'hpki-card');
  await page.getByTestId('jpki-login-show-pin').click();
  await expect(page.getByTestId('jpki-login-pin')).toBeVisible();
}

async function enterPin(page: Page, testId: string, pin: string) {
  await page.getByTestId(`${testId}-pin`).fill(pin);
  await page.getByTestId(`${testId}-submit`).click();
}

test('after an HPKI card login the practitioner links their My Number Card', async ({ browser }) => {
  const { page, consoleLines } = await browserWithCards(browser, 'valid');
  await page.goto(`${portal.url}/my-number-card`);
  await page.getByTestId('portal-login').click();
  await page.getByTestId('hpki-card-login').click();
  await expect(page.getByTestId('mnc-link-state')).toHaveText('マイナンバーカードは連携されていません。');
  await enterPin(page, 'mnc-link', PIN);
  await expect(page.getByTestId('mnc-link-state')).toContainText('連携したマイナンバーカードがあります');
  // The VERIFY APDU (…04 31 32 33 34, base64 ACAAgAQxMjM0) and the package's SEND/RECV lines never reach the console.
  expect(consoleLines.filter((l) => /SEND:|RECV:|ACAAgAQxMjM0/.test(l))).toEqual([]);
});

test('the linked My Number Card logs in through openid-client with the HPKI qualification', async ({ browser }) => {
  const { page, consoleLines } = await browserWithCards(browser, 'valid');
  await openRpLogin(page);
  await enterPin(page, 'jpki-login', PIN);
  const consent = page.getByTestId('consent');
  await expect(consent.or(page.getByTestId('rp-status'))).toBeVisible();
  if (await consent.isVisible()) await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  const claims = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  expect(claims.hcRole.map((r: { role: string }) => r.role)).toEqual(['Medical Doctor']);
  expect(claims.amr).toEqual(['sc', 'pin', 'hwk']);
  expect(claims.acr).toBe('urn:hpki-sso:acr:jpki:aal3');
  // JPKI data is never sent to relying parties.
  expect(claims.hpki).toBeUndefined();
  expect(JSON.stringify(claims)).not.toContain('JPKI');
  expect(consoleLines.filter((l) => /SEND:|RECV:|ACAAgAQxMjM0/.test(l))).toEqual([]);
});

test('a wrong PIN shows the tries left; the third locks the card with where to unlock it', async ({ browser, checks }) => {
  // Expected 4xx: the refusals are the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const { page } = await browserWithCards(browser, 'valid');
  await openRpLogin(page);
  await enterPin(page, 'jpki-login', '0000');
  await expect(page.getByTestId('jpki-login-tries-left')).toContainText('2');
  await enterPin(page, 'jpki-login', '1111');
  await expect(page.getByTestId('jpki-login-tries-left')).toContainText('1');
  await enterPin(page, 'jpki-login', '2222');
  await expect(page.getByTestId('error-code')).toHaveText('jpki_pin_locked');
  await expect(page.getByTestId('error')).toContainText('市区町村の窓口');
});

test('an unlinked My Number Card gets the explanation, never a login', async ({ browser, checks }) => {
  // Expected 4xx: the refusal is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const { page } = await browserWithCards(browser, 'secondHolder');
  await openRpLogin(page);
  await enterPin(page, 'jpki-login', PIN);
  await expect(page.getByTestId('error-code')).toHaveText('jpki_not_linked');
  await expect(page.getByTestId('error')).toContainText('連携');
});

test('a revoked My Number Card certificate is refused', async ({ browser, checks }) => {
  // Expected 4xx: the refusal is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const { page } = await browserWithCards(browser, 'revoked');
  await openRpLogin(page);
  await enterPin(page, 'jpki-login', PIN);
  await expect(page.getByTestId('error-code')).toHaveText('certificate_revoked');
});
