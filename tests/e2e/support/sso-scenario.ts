import type { Browser, Page } from '@playwright/test';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.ts';
import { seedScenario, type Scenario } from '../../support/seed-scenario.ts';
import { PortalProcess } from '../../support/portal-process.ts';
import { startSampleRelyingParty, type SampleRp } from '../../../src/demo/sample-relying-party.ts';
import { addVirtualAuthenticator } from './virtual-authenticator.ts';

export interface SsoScenario {
  database: TestDatabase;
  scenario: Scenario;
  portal: PortalProcess;
  /** The sample relying party (openid-client) registered for the scenario. */
  rp: SampleRp;
  /** One browser page with a virtual passkey authenticator. */
  page: Page;
  close(): Promise<void>;
}

/** A seeded database, the real portal process, the sample RP, and a browser page: what the SSO specs start from. */
export async function startSsoScenario(browser: Browser, options: { label: string; portalPort: number; rpPort: number }): Promise<SsoScenario> {
  const database = await createTestDatabase(options.label);
  const scenario = await seedScenario(database.url, `http://localhost:${options.rpPort}`);
  const portal = new PortalProcess(options.portalPort, database.url);
  await portal.start();
  const rp = await startSampleRelyingParty({ issuer: `${portal.url}/oidc`, clientId: scenario.clientId, clientSecret: scenario.clientSecret, port: options.rpPort });
  const context = await browser.newContext();
  const page = await context.newPage();
  await addVirtualAuthenticator(context, page);
  return {
    database,
    scenario,
    portal,
    rp,
    page,
    async close() {
      await rp.close();
      await portal.stop();
      portal.dispose();
      await database.drop();
    },
  };
}
