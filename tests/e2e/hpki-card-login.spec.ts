import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test, expect, type Browser, type BrowserContext, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../src/demo/sample-relying-party.ts';
import { softwareCardScript, type SoftwareCardOptions } from '../../src/demo/software-card-script.ts';

const PORTAL_PORT = 4230;
const RP_PORT = 4231;

/** What the software card needs from one test certificate: DER and PKCS#8 in base64. */
type TestCard = Pick<SoftwareCardOptions, 'certificateDer' | 'privateKeyPkcs8' | 'keyAlgorithm'>;
type TestCards = Record<'valid' | 'validEcdsa' | 'revoked', TestCard>;

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Makes the test PKI (`createHpkiTestPki`) and loads it with `seedTrustStore` in a tsx child
 * process: Playwright's own TypeScript transform does not apply the legacy decorators
 * (`experimentalDecorators`) of the ASN.1 schemas the generator uses. Returns the cards.
 */
async function createAndSeedTestPki(databaseUrl: string): Promise<TestCards> {
  const script = `
    const { pathToFileURL } = await import('node:url');
    const at = (file) => pathToFileURL(${JSON.stringify(root)} + '/' + file).href;
    const { createHpkiTestPki } = await import(at('src/pki/test-pki/index.ts'));
    const { seedTrustStore } = await import(at('tests/support/seed-trust.ts'));
    const pki = await createHpkiTestPki();
    await seedTrustStore(process.env.SEED_DATABASE_URL, pki);
    const b64 = (bytes) => Buffer.from(bytes).toString('base64');
    const card = async (issued) => ({
      certificateDer: b64(issued.der),
      privateKeyPkcs8: b64(await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey)),
      keyAlgorithm: issued.keys.privateKey.algorithm.name === 'ECDSA' ? 'EC' : 'RSA',
    });
    const p = pki.practitioners;
    const cards = { valid: await card(p.valid), validEcdsa: await card(p.validEcdsa), revoked: await card(p.revoked) };
    process.stdout.write('\\nTEST-CARDS ' + JSON.stringify(cards) + '\\n');
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, SEED_DATABASE_URL: databaseUrl },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('TEST-CARDS '));
  if (!line) throw new Error(`the test PKI was not made:\n${stdout}`);
  return JSON.parse(line.slice('TEST-CARDS '.length)) as TestCards;
}

let database: TestDatabase;
let scenario: Scenario;
let cards: TestCards;
let portal: PortalProcess;
let rp: SampleRp;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-hpki-card');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  cards = await createAndSeedTestPki(database.url);
  // The test card's holder is not in the database yet: first login enrols them from the certificate.
  portal = new PortalProcess(PORTAL_PORT, database.url, { HPKI_AUTO_ENROL: 'true' });
  await portal.start();
  rp = await startSampleRelyingParty({
    issuer: `${portal.url}/oidc`,
    clientId: scenario.clientId,
    clientSecret: scenario.clientSecret,
    port: RP_PORT,
  });
});

test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && portal) {
    await testInfo.attach('portal.log', { body: portal.log, contentType: 'text/plain' });
  }
});

test.afterAll(async () => {
  await rp?.close();
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

/** A browser context whose "extension" is the software card holding this certificate's key. */
async function contextWithCard(
  browser: Browser,
  card: TestCard,
  options: Pick<SoftwareCardOptions, 'format' | 'behaviour'>,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const script = softwareCardScript({ ...card, origin: portal.url, ...options });
  await context.addInitScript({ content: script });
  return { context, page: await context.newPage() };
}

/** From the relying party to the portal's login page, where the card button appears. */
async function openLogin(page: Page) {
  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
  await expect(page.getByTestId('hpki-card-login')).toBeVisible();
}

/** Consent is asked the first time this practitioner uses the service; afterwards the grant stands. */
async function approveConsentIfAsked(page: Page) {
  const consent = page.getByTestId('consent');
  const loggedIn = page.getByTestId('rp-status').filter({ hasText: 'logged-in' });
  await expect(consent.or(loggedIn)).toBeVisible();
  if (await consent.isVisible()) await page.getByTestId('consent-approve').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
}

async function idTokenClaims(page: Page): Promise<Record<string, unknown> & { hcRole: { role: string }[]; amr: string[] }> {
  return JSON.parse(await page.getByTestId('id-token-claims').innerText());
}

test('HPKI card (legacy JWS token, RSA) → consent → ID token with hcRole and amr', async ({ browser }) => {
  const { context, page } = await contextWithCard(browser, cards.valid, { format: 'jws' });
  try {
    await openLogin(page);
    await page.getByTestId('hpki-card-login').click();
    await expect(page.getByTestId('consent')).toBeVisible();
    await expect(page.getByTestId('consent-account')).toContainText('医療');
    await page.getByTestId('consent-approve').click();

    await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
    const claims = await idTokenClaims(page);
    expect(claims.hcRole.map((r) => r.role)).toEqual(['Medical Doctor']);
    expect(claims.amr).toEqual(['sc', 'pin', 'hwk']);
    expect(claims.acr).toBe('urn:hpki-sso:acr:hpki:aal3');
    const userinfo = JSON.parse(await page.getByTestId('userinfo').innerText());
    expect(userinfo.hcRole[0].role).toBe('Medical Doctor');
  } finally {
    await context.close();
  }
});

test('HPKI card (current web-eid:1 token, ECDSA P-256) logs in', async ({ browser }) => {
  const { context, page } = await contextWithCard(browser, cards.validEcdsa, { format: 'web-eid:1' });
  try {
    await openLogin(page);
    const verify = page.waitForRequest((r) => r.url().endsWith('/hpki-card/verify'));
    await page.getByTestId('hpki-card-login').click();
    const sent = (await verify).postDataJSON() as { token: { format: string; algorithm: string } };
    expect(sent.token.format).toBe('web-eid:1.0');
    expect(sent.token.algorithm).toBe('ES256');
    await approveConsentIfAsked(page);
    const claims = await idTokenClaims(page);
    expect(claims.hcRole.map((r) => r.role)).toEqual(['Medical Doctor']);
    expect(claims.amr).toEqual(['sc', 'pin', 'hwk']);
  } finally {
    await context.close();
  }
});

test('a revoked card is refused on screen with certificate_revoked', async ({ browser, checks }) => {
  // Expected 4xx: the card login's refusal (401) is the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const { context, page } = await contextWithCard(browser, cards.revoked, { format: 'jws' });
  try {
    await openLogin(page);
    await page.getByTestId('hpki-card-login').click();
    const section = page.getByTestId('hpki-card-section');
    await expect(section.getByTestId('error-code')).toHaveText('certificate_revoked');
    // The server's own sentence (ja by default), not only the code.
    await expect(section.getByTestId('error')).toContainText('失効');
    await expect(page.getByTestId('hpki-card-login')).toBeEnabled();
    await expect(page).toHaveURL(/\/interaction\//);
  } finally {
    await context.close();
  }
});

test('a cancelled PIN entry shows card_cancelled, and the login can be tried again', async ({ browser }) => {
  const { context, page } = await contextWithCard(browser, cards.valid, { format: 'jws', behaviour: 'cancel' });
  try {
    await openLogin(page);
    await page.getByTestId('hpki-card-login').click();
    const section = page.getByTestId('hpki-card-section');
    await expect(section.getByTestId('error-code')).toHaveText('card_cancelled');
    await expect(section.getByTestId('error')).toContainText('中止');
    await expect(section.getByTestId('hpki-card-error-reason')).toContainText('CKR_FUNCTION_CANCELED');
    await expect(page.getByTestId('hpki-card-login')).toBeEnabled();
  } finally {
    await context.close();
  }
});

test('no card in the reader shows card_not_present', async ({ browser }) => {
  const { context, page } = await contextWithCard(browser, cards.valid, { format: 'jws', behaviour: 'no-card' });
  try {
    await openLogin(page);
    await page.getByTestId('hpki-card-login').click();
    await expect(page.getByTestId('hpki-card-section').getByTestId('error-code')).toHaveText('card_not_present');
  } finally {
    await context.close();
  }
});

test('the browser console stays clean during a card login', async ({ browser }) => {
  const { context, page } = await contextWithCard(browser, cards.valid, { format: 'jws' });
  const lines: string[] = [];
  page.on('console', (message) => lines.push(message.text()));
  try {
    await openLogin(page);
    // The filter lets every other line through: the collection itself works.
    await page.evaluate(() => console.info('console-probe'));

    // The verify request carries both the nonce and the token; reading it needs no response body,
    // which the browser drops once the page navigates on.
    const verify = page.waitForRequest((r) => r.url().endsWith('/hpki-card/verify'));
    await page.getByTestId('hpki-card-login').click();
    const { nonce, token } = (await verify).postDataJSON() as { nonce: string; token: string };
    await approveConsentIfAsked(page);

    expect(lines).toContain('console-probe');
    expect(typeof token).toBe('string');
    const secrets = [nonce, token, token.split('.')[2]!, JSON.stringify(nonce).slice(1, -1)];
    for (const line of lines) {
      expect(line).not.toContain('SEND:');
      expect(line).not.toContain('RECV:');
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  } finally {
    await context.close();
  }
});

test('without the extension the card method is not shown', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  try {
    await page.goto(rp.url);
    await page.getByTestId('rp-login').click();
    await expect(page.getByTestId('client-name')).toBeVisible();
    await expect(page.getByText('読み込み中…')).toHaveCount(0);
    await expect(page.getByTestId('hpki-card-section')).toHaveCount(0);
    await expect(page.getByTestId('passkey-login')).toBeVisible();
    // The package tried its WebSocket fallback meanwhile; the CSP (connect-src 'self') stopped it.
    expect(sockets).toEqual([]);
  } finally {
    await context.close();
  }
});
