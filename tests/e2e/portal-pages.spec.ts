import crypto from 'node:crypto';
import fs from 'node:fs';
import { test, expect, type Browser, type BrowserContext, type Page } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { appendAudit } from '../../src/audit/audit-log.ts';
import { formatJapanTime } from '../../src/i18n/format-time.ts';
import { expectAccessible } from './support/page-checks.ts';

/**
 * The portal's own pages after the clinical UX pass (issue 16, points 4–8, 11, 12): Japan time with
 * the zone named, words instead of identifiers, the provider's and the HTTP layer's pages in the
 * portal layout, English qualification names, no hydration error, a favicon, one demo banner, a
 * launch button per service, the admin link, next steps, and the passkey help page.
 * Runs in demo mode, so the demo banner is there to be counted.
 */
const PORTAL_PORT = 4340;
const RP_PORT = 4341;
const SHOTS = '/work/shots/pages';
const PHASE = process.env.SHOT_PHASE ?? 'after';
const AUTH_CA_DN = 'C=JP, O=MEDIS TEST, OU=MEDIS HPKI CA TEST, CN=HPKI-01-TestAuthCA2-forAuthentication-forIndividual';
// Written out: the modules that define them pull in ASN.1 decorators Playwright's loader cannot compile.
const PORTAL_CLIENT_ID = 'hpki-sso-portal';
const PASSKEY_ACR = 'urn:hpki-sso:acr:passkey:aal2';
const SIGNING_EXPIRES = new Date(Date.now() + 5 * 3600_000);
/** When the seeded passkey sign-in was recorded (the audit log is append-only: read back, not set). */
let signInAt: Date;

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;
let sessionId: string;

test.describe.configure({ mode: 'serial' });

/** The doctor as an administrator with a card certificate, sign-ins, a signing authorisation and a portal session. */
async function seedHome(databaseUrl: string, doctorId: string): Promise<string> {
  const database = await openDatabase({ url: databaseUrl, migrate: true });
  const prisma = database.prisma;
  try {
    await prisma.practitioner.update({ where: { id: doctorId }, data: { isAdmin: true } });
    await prisma.practitionerCertificate.create({
      data: {
        fingerprint: 'e2e-pages-cert',
        practitionerId: doctorId,
        kind: 'hpki-auth',
        issuer: AUTH_CA_DN,
        serialNumber: '15e',
        notBefore: new Date(Date.now() - 86400_000),
        notAfter: new Date(Date.now() + 365 * 86400_000),
      },
    });
    await upsertClient(prisma, {
      clientId: 'e2e-launch',
      name: 'E2E 電子カルテ',
      redirectUris: [`http://localhost:${RP_PORT}/launch-callback`],
      initiateLoginUri: `http://localhost:${RP_PORT}/start-sso`,
    });
    await prisma.signingAuthorisation.create({
      data: { grantId: 'e2e-pages-grant', practitionerId: doctorId, clientId: 'e2e-launch', credentialId: 'e2e-pages-credential', documentTypes: ['e-prescription'], maxSignatures: 10, expiresAt: SIGNING_EXPIRES },
    });
    await appendAudit(prisma, { event: 'login', result: 'failure', practitionerId: doctorId, clientId: scenario.clientId, method: 'hpki-card', errorCode: 'certificate_revoked' });
    await appendAudit(prisma, { event: 'login', result: 'success', practitionerId: doctorId, clientId: PORTAL_CLIENT_ID, method: 'passkey' });
    signInAt = (await prisma.auditEvent.findFirstOrThrow({ where: { practitionerId: doctorId, method: 'passkey' } })).at;
    // A portal session as the portal's callback writes it (src/portal-session/portal-sessions.ts).
    const id = crypto.randomBytes(32).toString('base64url');
    const authTime = new Date();
    await prisma.portalSession.create({
      data: {
        idHash: crypto.createHash('sha256').update(id).digest('hex'),
        practitionerId: doctorId,
        authTime,
        amr: ['user', 'hwk'],
        acr: PASSKEY_ACR,
        sid: null,
        expiresAt: new Date(authTime.getTime() + 12 * 3600_000),
      },
    });
    return id;
  } finally {
    await database.close();
  }
}

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-portal-pages');
  scenario = await seedScenario(database.url, `http://localhost:${RP_PORT}`);
  sessionId = await seedHome(database.url, scenario.doctor.id);
  portal = new PortalProcess(PORTAL_PORT, database.url, { DEMO: 'true' });
  await portal.start();
  fs.mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(async () => {
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

const TERMINAL = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 };

async function browserFor(browser: Browser, locale: 'ja' | 'en', options: { loggedIn?: boolean; device?: typeof TERMINAL | typeof PHONE } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options.device ?? TERMINAL);
  await context.addCookies([
    { name: 'lang', value: locale, url: portal.url },
    ...(options.loggedIn ? [{ name: 'portal_session', value: sessionId, url: portal.url }] : []),
  ]);
  return { context, page: await context.newPage() };
}


async function shoot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}/${PHASE}-${name}.png`, fullPage: true });
}

/** Screenshots only (no assertions), so the same test records the pages before and after the change. */
test('screenshots of the changed pages', async ({ browser, checks }) => {
  // The error pages answer with their 4xx status on purpose; Chromium notes it in the console.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  for (const [label, device] of [['1280', TERMINAL], ['390', PHONE]] as const) {
    for (const locale of ['ja', 'en'] as const) {
      const { context, page } = await browserFor(browser, locale, { loggedIn: true, device });
      await page.goto(portal.url);
      await shoot(page, `home-${locale}-${label}`);
      await context.close();
    }
    const { context, page } = await browserFor(browser, 'ja', { device });
    await page.goto(`${portal.url}/interaction/no-such-interaction`);
    await shoot(page, `interaction-expired-ja-${label}`);
    await page.goto(`${portal.url}/oidc/session/end`);
    await shoot(page, `logout-ja-${label}`);
    await page.goto(`${portal.url}/no-such-page`);
    await shoot(page, `not-found-ja-${label}`);
    await page.goto(`${portal.url}/help/passkey`);
    // A page's own title wins over the layout's product name (both are hoisted into <head>).
    await expect(page).toHaveTitle('パスキー（スマートフォンの生体認証）がうまく使えないとき');
    await shoot(page, `help-passkey-ja-${label}`);
    await context.close();
    const english = await browserFor(browser, 'en', { device });
    await english.page.goto(`${portal.url}/help/passkey`);
    await expect(english.page).toHaveTitle('When your passkey (phone biometrics) does not work');
    await shoot(english.page, `help-passkey-en-${label}`);
    await english.page.goto(`${portal.url}/interaction/no-such-interaction`);
    await expect(english.page).toHaveTitle('Login could not be completed | HPKI SSO Portal');
    await shoot(english.page, `interaction-expired-en-${label}`);
    await english.context.close();
  }
});

test('home: Japan time, words not identifiers, launch buttons, admin link, next steps, no hydration error', async ({ browser }) => {
  const { context, page } = await browserFor(browser, 'ja', { loggedIn: true });
  await page.goto(portal.url);
  await expect(page.getByTestId('license-name')).toHaveText('神楽坂 三十四');
  // The countdown has ticked at least once: the page hydrated (React #418 would be a console error).
  const countdown = page.getByTestId('signing-countdown');
  const first = await countdown.textContent();
  await expect(countdown).not.toHaveText(first!);
  // Point 8: hydrated without React's mismatch error (#418 came from the countdown's clock).

  // Point 4: Japan time with the zone named.
  const signIns = page.getByTestId('sign-in');
  await expect(signIns).toHaveCount(2);
  await expect(signIns.first()).toContainText(formatJapanTime(signInAt, 'ja'));
  await expect(page.getByTestId('signing-expires')).toHaveText(`${formatJapanTime(SIGNING_EXPIRES, 'ja')} まで有効`);
  await expect(page.locator('body')).not.toContainText('UTC');

  // Point 5: the method's and the service's names, the failure's reason; the issuer by name, DN as detail.
  await expect(signIns.first()).toContainText('スマートフォン・この端末のパスキー · HPKI SSO ポータル · 成功');
  await expect(signIns.nth(1)).toContainText('HPKIカード · E2E 地域連携ネットワーク · 失敗');
  await expect(page.getByTestId('sign-ins')).not.toContainText('hpki-sso-portal');
  await expect(page.getByTestId('sign-ins')).not.toContainText('certificate_revoked');
  await expect(page.getByTestId('license-issuer')).toHaveText('テスト用 HPKI認証局（認証用）');
  await expect(page.getByTestId('license-issuer-dn')).toBeHidden();
  await page.getByText('発行元の詳細（識別名）').click();
  await expect(page.getByTestId('license-issuer-dn')).toHaveText(AUTH_CA_DN);

  // Point 11: a launch button per service (the SSO start URL with iss; the redirect site otherwise), admin link, next steps.
  await expect(page.getByTestId('service-e2e-launch').getByTestId('service-launch')).toHaveAttribute(
    'href',
    `http://localhost:${RP_PORT}/start-sso?iss=${encodeURIComponent(`${portal.url}/oidc`)}`,
  );
  await expect(page.getByTestId(`service-${scenario.clientId}`).getByTestId('service-launch')).toHaveAttribute('href', `http://localhost:${RP_PORT}/`);
  for (const row of await page.locator('[data-testid="services"] li').all()) await expect(row.getByTestId('service-launch')).toBeVisible();
  await expect(page.getByTestId('admin-link')).toHaveAttribute('href', '/admin');
  await expect(page.getByTestId('device-next')).toContainText('登録用QRコード');
  await expect(page.getByTestId('mnc-next')).toContainText('HPKIカードがない日もマイナンバーカードでログインできます');

  // Point 8: a favicon that loads, one demo banner.
  await expect(page.locator('head link[rel="icon"]').first()).toHaveAttribute('href', /favicon/);
  expect((await page.request.get(`${portal.url}/favicon.ico`)).status()).toBe(200);
  expect((await page.request.get(`${portal.url}/favicon.svg`)).status()).toBe(200);
  await expect(page.getByTestId('demo-banner')).toHaveCount(1);
  await expectAccessible(page);
  await context.close();
});

test('home in English: English qualification, issuer, method and time format', async ({ browser }) => {
  const { context, page } = await browserFor(browser, 'en', { loggedIn: true });
  await page.goto(portal.url);
  // Point 7.
  await expect(page.getByTestId('license-roles')).toHaveText('Medical Doctor');
  await expect(page.getByTestId('license-issuer')).toHaveText('Test HPKI CA (authentication)');
  const signIns = page.getByTestId('sign-in');
  await expect(signIns.first()).toContainText(`${formatJapanTime(signInAt, 'en')} · Passkey on your phone or this device · HPKI SSO Portal · succeeded`);
  await expect(page.locator('body')).not.toContainText('医師');
  await expect(page.getByTestId('demo-banner')).toHaveCount(1);
  await expectAccessible(page);
  await context.close();

});

test('provider and HTTP-layer pages use the portal layout: header, language switch, a way back, the code in a small line', async ({ browser, checks }) => {
  // The error pages answer with their 4xx status on purpose; Chromium notes it in the console.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  for (const locale of ['ja', 'en'] as const) {
    const { context, page } = await browserFor(browser, locale);
    // Point 6: the interaction-expired page of the HTTP layer.
    await page.goto(`${portal.url}/interaction/no-such-interaction`);
    await expect(page.getByTestId('brand')).toHaveAttribute('href', '/');
    await expect(page.getByTestId('language-switch')).toBeVisible();
    await expect(page.getByTestId('back-home')).toHaveAttribute('href', '/');
    await expect(page.getByTestId('error-code')).toHaveText('interaction_expired');
    await expect(page.getByTestId('error')).toContainText(locale === 'ja' ? 'エラーコード: interaction_expired' : 'Error code: interaction_expired');
    await expect(page.getByTestId('demo-banner')).toHaveCount(1);
    await expect(page.locator('head link[rel="icon"]').first()).toHaveAttribute('href', /favicon/);
    await expectAccessible(page);

    // oidc-provider's own error page (an authorization request without a client).
    await page.goto(`${portal.url}/oidc/auth?response_type=code&scope=openid`);
    await expect(page.getByTestId('error-code')).toHaveText('invalid_request');
    await expect(page.getByTestId('back-home')).toBeVisible();
    await expect(page.getByTestId('demo-banner')).toHaveCount(1);
    await expectAccessible(page);

    // The logout page (no provider session in this browser: straight to the logged-out page).
    await page.goto(`${portal.url}/oidc/session/end`);
    await expect(page.getByTestId('logged-out-body')).toBeVisible();
    await expect(page.getByTestId('brand')).toBeVisible();
    await expect(page.getByTestId('back-home')).toHaveAttribute('href', '/');
    await expect(page.getByTestId('demo-banner')).toHaveCount(1);
    await expectAccessible(page);
    await page.getByTestId('language-switch').click();
    await expect(page.locator('html')).toHaveAttribute('lang', locale === 'ja' ? 'en' : 'ja');
    expect((await page.request.get(`${portal.url}/logo.svg`)).status()).toBe(200);
    await context.close();
  }
});

test('error boxes lead with what to do and put the code in a small line', async ({ browser, checks }) => {
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const { context, page } = await browserFor(browser, 'ja');
  const response = await page.goto(`${portal.url}/no-such-page`);
  expect(response?.status()).toBe(404);
  const box = page.getByTestId('error');
  await expect(box.locator('p').first()).not.toContainText('not_found');
  await expect(box).toContainText('エラーコード: not_found');
  await expect(page.getByTestId('error-code')).toHaveText('not_found');
  await expect(page.getByTestId('demo-banner')).toHaveCount(1);
  await expectAccessible(page);
  await context.close();
});

test('a passkey error links to the help page, which is written in Japanese and English', async ({ browser, checks }) => {
  // The browser refusing the passkey is the point of this test.
  checks.allowConsole(/NotAllowedError|WebAuthn|credential/i);
  const { context, page } = await browserFor(browser, 'ja', { device: PHONE });
  // A phone without biometrics set up: the browser refuses the passkey (seed 001's first cause).
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: false, isUserVerified: false, automaticPresenceSimulation: true },
  });
  await page.goto(`${portal.url}/register/${scenario.pharmacist.codes.fresh}`);
  await page.getByTestId('registration-password').fill(scenario.pharmacist.birthPassword);
  await page.getByTestId('registration-next').click();
  await page.getByTestId('registration-passkey').click();
  await expect(page.getByTestId('error-code')).toContainText('passkey_');
  await page.getByTestId('passkey-help-link').click();
  await expect(page).toHaveURL(/\/help\/passkey$/);
  for (const id of ['biometrics', 'autofill', 'keychain', 'device', 'network']) await expect(page.getByTestId(`help-${id}`)).toBeVisible();
  await expect(page.getByTestId('help-keychain')).toContainText('iCloud キーチェーン');
  await expect(page.getByTestId('help-network')).toContainText('VPN');
  await expectAccessible(page);
  await page.getByTestId('language-switch').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('When your passkey (phone biometrics) does not work');
  await expect(page.getByTestId('help-autofill')).toContainText('AutoFill Passwords and Passkeys');
  await expectAccessible(page);
  await context.close();
});
