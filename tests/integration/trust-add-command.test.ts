import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { createHpkiTestPki, issueCertificate, issueCrl, testCaName, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';

/**
 * `npm run trust:add` as an operator runs it, on the database of this run (PGlite or PostgreSQL):
 * exit 0 when everything is stored, non-zero on any refusal with nothing of the call stored
 * (issue 13 rule 6; PGlite's wasm runtime resets process.exitCode when it closes).
 */
let database: TestDatabase;
let dir: string;
let pki: HpkiTestPki;
const repo = path.resolve(import.meta.dirname, '../..');
const DAY = 86400_000;

function trustAdd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/trust-add.ts', ...args], {
      cwd: repo,
      env: { ...process.env, DATABASE_URL: database.url, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function file(name: string, bytes: Uint8Array | string): string {
  const at = path.join(dir, name);
  fs.writeFileSync(at, bytes);
  return at;
}

async function stored() {
  const db = await openDatabase({ url: database.url, migrate: true });
  try {
    return {
      subjects: (await db.prisma.trustCertificate.findMany({ orderBy: { subject: 'asc' } })).map((c) => c.subject),
      crls: await db.prisma.revocationList.count(),
    };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase('trust-add-command');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-trust-add-'));
  pki = await createHpkiTestPki();
}, 60_000);
afterAll(async () => {
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm run trust:add', () => {
  it('stores anchors, issuing CAs and CRLs and exits 0', async () => {
    const result = await trustAdd([
      '--anchor', file('root.pem', pki.root.pem),
      '--intermediate', file('auth-ca.der', pki.authCa.der),
      '--intermediate', file('sign-ca.pem', pki.signCa.pem),
      '--crl', file('root.crl', pki.rootCrl.der),
      '--crl', file('auth.crl', pki.authCaCrl.pem),
      '--crl', file('sign.crl', pki.signCaCrl.der),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('anchor: C=JP');
    expect(await stored()).toMatchObject({ crls: 3 });
    expect((await stored()).subjects).toHaveLength(3);
  }, 120_000);

  it('exits non-zero on a refused CRL and stores nothing of that call, not even the anchor before it', async () => {
    const other = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
    const forged = await issueCrl({ issuer: other.untrusted.authCa, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + DAY) });
    const before = await stored();
    const result = await trustAdd([
      '--anchor', file('other-root.der', other.root.der),
      '--intermediate', file('other-auth-ca.der', other.authCa.der),
      '--crl', file('other-auth.crl', other.authCaCrl.der),
      '--crl', file('forged.crl', forged.der),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^crl_invalid: /);
    expect(result.stderr).toContain('nothing was stored');
    expect(await stored()).toEqual(before);
  }, 120_000);

  it('exits non-zero on a CRL whose cRLNumber is lower than the one held', async () => {
    const higher = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(Date.now() - 60_000), nextUpdate: new Date(Date.now() + 7 * DAY), crlNumber: 8 });
    const loaded = await trustAdd(['--crl', file('auth-8.crl', higher.der)]);
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    const lower = await issueCrl({ issuer: pki.authCa, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 8 * DAY), crlNumber: 7 });
    const result = await trustAdd(['--crl', file('auth-7.crl', lower.der)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^crl_number_out_of_order: .*cRLNumber 7 is lower than 8/);
  }, 120_000);

  it('exits non-zero on a weak CA key, an end-entity certificate given as an anchor, and a missing file', async () => {
    const weakCa = await issueCertificate({ subject: testCaName('HPKI-01-WeakCA'), issuer: pki.root, keyAlgorithm: 'rsa-1024', ca: {}, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) });
    const weak = await trustAdd(['--intermediate', file('weak-ca.der', weakCa.der)]);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/^certificate_key_too_weak: .*1024 bits/);
    const leaf = await trustAdd(['--anchor', file('leaf-as-anchor.der', pki.practitioners.valid.der)]);
    expect(leaf.code).toBe(2);
    expect(leaf.stderr).toMatch(/^certificate_chain_invalid: /);
    const missing = await trustAdd(['--anchor', path.join(dir, 'does-not-exist.pem')]);
    expect(missing.code).toBe(1);
    expect((await stored()).subjects).toHaveLength(3);
  }, 120_000);
});
