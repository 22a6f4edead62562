import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortalProcess } from '../support/portal-process.ts';
import { createTestDatabase } from '../support/test-database.ts';

/**
 * src/demo (demo data, the sample relying party, the demo TLS certificate) and the test PKI it issues
 * with (src/pki/test-pki) are loaded only in demo mode (issue 14 §3). The real server.ts runs as a
 * child process with a module hook that records every module it loads (Next.js is stood in for, so
 * no production build is needed); an eager import anywhere on the start path or in a request fails here.
 */
const hook = path.resolve(import.meta.dirname, '../support/record-loaded-modules.mjs');
const DEMO_OR_TEST_PKI = /\/src\/(demo|pki\/test-pki)\//;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts server.ts with DEMO as given, sends a few requests, stops it: the modules it loaded, and the answers. */
async function modulesLoadedBy(demo: 'true' | 'false') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-modules-'));
  const record = path.join(dir, 'loaded.txt');
  const database = await createTestDatabase(`modules-${demo}`);
  const portal = new PortalProcess(
    await freePort(),
    database.url,
    { DEMO: demo, DEMO_PKI_DIR: path.join(dir, 'demo-pki'), CI: '1', CRL_FETCH: 'false', LOADED_MODULES_FILE: record, STUB_NEXT: '1' },
    'server.ts',
    { nodeArgs: ['--import', hook] },
  );
  try {
    await portal.start();
    const status = async (p: string) => (await fetch(`${portal.url}${p}`)).status;
    const answers = {
      discovery: await status('/oidc/.well-known/openid-configuration'),
      softwareCard: await status('/demo/software-card.js?holder=doctor'),
      softwareMyNumberCard: await status('/demo/software-my-number-card.js'),
    };
    await portal.stop();
    const loaded = fs.readFileSync(record, 'utf8').split('\n').filter(Boolean);
    return { loaded, answers };
  } finally {
    await portal.stop();
    portal.dispose();
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('demo modules load only in demo mode', () => {
  it('a production start with DEMO=false loads no module of src/demo or src/pki/test-pki', async () => {
    const { loaded, answers } = await modulesLoadedBy('false');
    // The hook saw the start path and the request handling, so the list below is not empty by accident.
    expect(loaded).toEqual(expect.arrayContaining([expect.stringMatching(/\/server\.ts$/), expect.stringMatching(/\/src\/portal\/start-portal\.ts$/), expect.stringMatching(/\/src\/http\/request-handler\.ts$/)]));
    expect(answers).toEqual({ discovery: 200, softwareCard: 404, softwareMyNumberCard: 404 });
    expect(loaded.filter((url) => DEMO_OR_TEST_PKI.test(url))).toEqual([]);
  }, 90_000);

  it('the same hook sees them with DEMO=true (so the check above can fail)', async () => {
    const { loaded, answers } = await modulesLoadedBy('true');
    expect(answers.softwareCard).toBe(200);
    expect(loaded).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/src\/demo\/seed-demo-data\.ts$/),
        expect.stringMatching(/\/src\/demo\/demo-pki\.ts$/),
        expect.stringMatching(/\/src\/pki\/test-pki\/index\.ts$/),
      ]),
    );
  }, 90_000);
});
