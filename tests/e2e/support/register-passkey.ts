import { expect, type Page } from '@playwright/test';

/** The registration QR flow on a page with a virtual authenticator: password, then the new passkey. */
export async function registerPasskey(page: Page, registrationUrl: string, password: string): Promise<void> {
  await page.goto(registrationUrl);
  await page.getByTestId('registration-password').fill(password);
  await page.getByTestId('registration-next').click();
  await page.getByTestId('registration-passkey').click();
  await expect(page.getByTestId('registration-done')).toBeVisible();
}
