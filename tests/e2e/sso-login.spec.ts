import { test, expect, type Page } from './support/checked-test.ts';
import type { Scenario } from '../support/seed-scenario.ts';
import type { PortalProcess } from '../support/portal-process.ts';
import type { SampleRp } from '../../src/demo/sample-relying-party.ts';
import { registerPasskey } from './support/register-passkey.ts';
import { startSsoScenario, type SsoScenario } from './support/sso-scenario.ts';

let sso: SsoScenario;
let scenario: Scenario;
let portal: PortalProcess;
let rp: SampleRp;
let page: Page;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  sso = await startSsoScenario(browser, { label: 'e2e-sso', portalPort: 4220, rpPort: 4221 });
  ({ scenario, portal, rp, page } = sso);
});

test.afterAll(async () => {
  await sso?.close();
});

test('openid-client login: passkey → consent → ID token with hcRole → userinfo', async () => {
  // The phone is registered first through its QR code.
  await registerPasskey(page, `${portal.url}/register/${scenario.doctor.codes.fresh}`, scenario.doctor.birthPassword);

  await page.goto(rp.url);
  await page.getByTestId('rp-login').click();
  await expect(page.getByTestId('client-name')).toContainText('E2E 地域連携ネットワーク');
  await page.getByTestId('passkey-login').click();
  await expect(page.getByTestId('consent')).toBeVisible();
  await expect(page.getByTestId('consent-account')).toContainText('神楽坂 三十四');
  await page.getByTestId('consent-approve').click();

  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  const idToken = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  expect(idToken.hcRole).toEqual([
    { role: 'Medical Doctor', codingScheme: '1.2.392.100495.1.6.1.1', displayJa: '医師', displayEn: 'Medical Doctor', known: true, confirmed: true },
  ]);
  expect(idToken.amr).toEqual(['hwk', 'user']);
  expect(idToken.acr).toBe('urn:hpki-sso:acr:passkey:aal2');
  expect(idToken['family_name#ja-Hani-JP']).toBe('神楽坂');
  expect(typeof idToken.auth_time).toBe('number');
  // Pairwise by default: the subject is not the internal practitioner id.
  expect(idToken.sub).not.toBe(scenario.doctor.id);
  const userinfo = JSON.parse(await page.getByTestId('userinfo').innerText());
  expect(userinfo.sub).toBe(idToken.sub);
  expect(userinfo.hcRole[0].role).toBe('Medical Doctor');
});

test('the refresh token still works after the portal restarts', async () => {
  const before = await page.request.post(`${rp.url}/refresh`);
  expect(before.status()).toBe(200);
  await portal.restart();
  const after = await page.request.post(`${rp.url}/refresh`);
  expect(after.status()).toBe(200);
  const body = await after.json();
  expect(body.refreshed).toBe(true);
  expect(body.rotated).toBe(true);
  expect(body.userinfo.hcRole[0].role).toBe('Medical Doctor');
});

test('a second login to the same service needs no new consent (SSO session)', async () => {
  await page.goto(`${rp.url}/login?prompt=none`);
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
});

test('max_age=0 asks for the passkey again', async () => {
  const before = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  await page.goto(`${rp.url}/login?max_age=0`);
  await expect(page.getByTestId('passkey-login')).toBeVisible();
  await page.getByTestId('passkey-login').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-in');
  const after = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  expect(after.auth_time).toBeGreaterThanOrEqual(before.auth_time);
  expect(after.sid).toBe(before.sid);
});

test('RP-initiated logout ends the session and reaches the back-channel endpoint', async () => {
  const idToken = JSON.parse(await page.getByTestId('id-token-claims').innerText());
  // With its own ID token as the hint, the service's logout asks no question (a shared terminal).
  await page.getByTestId('rp-logout').click();
  await expect(page.getByTestId('rp-status')).toHaveText('logged-out-by-op');
  expect(rp.backchannelLogouts.some((l) => l.sid === idToken.sid)).toBe(true);

  // The portal session is gone: a silent login now fails with login_required.
  await page.goto(`${rp.url}/login?prompt=none`);
  await expect(page.locator('body')).toContainText('login_required');
});
