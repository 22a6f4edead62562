import { test, expect } from './support/checked-test.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedScenario, type Scenario } from '../support/seed-scenario.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { addVirtualAuthenticator } from './support/virtual-authenticator.ts';

let database: TestDatabase;
let scenario: Scenario;
let portal: PortalProcess;

test.beforeAll(async () => {
  database = await createTestDatabase('e2e-registration');
  scenario = await seedScenario(database.url, 'http://localhost:4211');
  portal = new PortalProcess(4210, database.url);
  await portal.start();
});

test.afterAll(async () => {
  await portal?.stop();
  portal?.dispose();
  await database?.drop();
});

test('registers the phone through the registration QR URL, once', async ({ page, context }) => {
  const authenticator = await addVirtualAuthenticator(context, page);
  const url = `${portal.url}/register/${scenario.doctor.codes.fresh}`;
  await page.goto(url);
  await expect(page.getByTestId('registration-name')).toContainText('神楽坂 三十四');
  await page.getByTestId('registration-password').fill(scenario.doctor.birthPassword);
  await page.getByTestId('registration-next').click();
  await page.getByTestId('registration-passkey').click();
  await expect(page.getByTestId('registration-done')).toBeVisible();
  const credentials = await authenticator.credentials();
  expect(credentials).toHaveLength(1);
  expect(credentials[0]!.isResidentCredential).toBe(true);

  // Single use: the same QR code now explains that it was used.
  await page.goto(url);
  await expect(page.getByTestId('registration-problem').getByTestId('error-code')).toHaveText('registration_code_used');
});

test('the fifth wrong password locks the code for good', async ({ page, checks }) => {
  // Expected 4xx: the refusals are the point.
  checks.allowConsole(/Failed to load resource: the server responded with a status of 4\d\d/);
  const url = `${portal.url}/register/${scenario.doctor.codes.forLockout}`;
  await page.goto(url);
  for (let remaining = 4; remaining >= 1; remaining--) {
    await page.getByTestId('registration-password').fill('19990101');
    await page.getByTestId('registration-next').click();
    await expect(page.getByTestId('remaining-attempts')).toContainText(String(remaining));
    await expect(page.getByTestId('error-code')).toHaveText('registration_password_wrong');
  }
  await page.getByTestId('registration-password').fill('19990101');
  await page.getByTestId('registration-next').click();
  await expect(page.getByTestId('registration-locked')).toBeVisible();

  // Locked for good: the page says a reissue is needed, and even the right password is refused.
  await page.goto(url);
  await expect(page.getByTestId('registration-problem').getByTestId('error-code')).toHaveText('registration_code_locked');
  const response = await page.request.post(`${portal.url}/api/register/${scenario.doctor.codes.forLockout}/password`, {
    data: { password: '19700131' },
  });
  expect(response.status()).toBe(410);
  expect((await response.json()).error).toBe('registration_code_locked');
});

test('an expired registration code is refused', async ({ page }) => {
  await page.goto(`${portal.url}/register/${scenario.doctor.codes.expired}`);
  await expect(page.getByTestId('registration-problem').getByTestId('error-code')).toHaveText('registration_code_expired');
  const response = await page.request.post(`${portal.url}/api/register/${scenario.doctor.codes.expired}/password`, {
    data: { password: '19750505' },
  });
  expect(response.status()).toBe(410);
  expect((await response.json()).error).toBe('registration_code_expired');
});

test('the page speaks English when asked', async ({ page }) => {
  await page.goto(`${portal.url}/register/${scenario.doctor.codes.expired}`);
  await page.getByTestId('language-switch').click();
  await expect(page.locator('h1')).toHaveText('Register your smartphone');
  await expect(page.getByTestId('error')).toContainText('more than 3 months old');
});
