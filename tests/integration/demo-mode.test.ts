import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';

/** Issue 12 §3: the demo's software cards (with their private keys) only for a browser on this machine. */
let t: TestPortal;
let pkiDir: string;
const lines: string[] = [];

/** A non-loopback IPv4 address of this machine, if it has one (then the test connects from it for real). */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-demo-pki-'));
  t = await startTestPortal('demo-mode', { host: '0.0.0.0', env: { DEMO: 'true', DEMO_PKI_DIR: pkiDir, TRUSTED_PROXIES: '127.0.0.1' } });
}, 120_000);
afterAll(async () => {
  await t?.close();
  fs.rmSync(pkiDir, { recursive: true, force: true });
});

describe('demo helpers answer loopback clients only', () => {
  it('a browser on this machine gets the software card', async () => {
    const res = await fetch(`${t.url}/demo/software-card.js?holder=doctor`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('DEMO ONLY');
  });

  it('a client forwarded by a trusted proxy from another address gets 403 demo_loopback_only, and it is audited', async () => {
    for (const file of ['/demo/software-card.js?holder=doctor', '/demo/software-card.js?holder=admin', '/demo/software-my-number-card.js']) {
      const res = await fetch(`${t.url}${file}`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('demo_loopback_only');
      expect(body.message).toMatch(/コンピューター/);
    }
    const audited = await t.portal.prisma.auditEvent.findFirst({ where: { event: 'security.demo_helper_refused', ip: '203.0.113.7' } });
    expect(audited?.errorCode).toBe('demo_loopback_only');
  });

  it('a forwarded loopback client is still one', async () => {
    const res = await fetch(`${t.url}/demo/software-my-number-card.js`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(res.status).toBe(200);
  });

  it.skipIf(!outsideAddress)('a client connecting from a non-loopback address of this machine gets 403', async () => {
    const port = new URL(t.url).port;
    const res = await fetch(`http://${outsideAddress}:${port}/demo/software-card.js?holder=doctor`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toBe('demo_loopback_only');
  });
});

describe('the start log', () => {
  it('warns in capitals when demo mode runs on a public address', async () => {
    const { readEnvironment } = await import('../../src/config/environment.ts');
    const { startPortal } = await import('../../src/portal/start-portal.ts');
    const env = readEnvironment({ PUBLIC_URL: 'https://sso.example.jp', DEMO: 'true', DATABASE_URL: 'pglite:memory', KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'), CRL_FETCH: 'false' });
    // The embedded in-memory database, opened just to see what the start says.
    const portal = await startPortal(env, (line) => lines.push(line));
    await portal.close();
    expect(lines.some((l) => l.includes('WARNING: DEMO MODE ON A PUBLIC ADDRESS'))).toBe(true);
  }, 120_000);
});
