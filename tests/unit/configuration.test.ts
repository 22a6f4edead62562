import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { resolveDatabaseTarget, describeTarget, DatabaseUrlError } from '../../src/db/database-target.ts';
import { readEnvironment } from '../../src/config/environment.ts';
import { KeyEncryptionKey, loadKeyEncryptionKey } from '../../src/crypto/key-encryption.ts';
import { acrSatisfies, ACR } from '../../src/auth/assurance.ts';

describe('DATABASE_URL', () => {
  it('defaults to embedded PGlite in .data/db', () => {
    expect(resolveDatabaseTarget('', '/srv/portal')).toEqual({ kind: 'pglite', dir: '/srv/portal/.data/db' });
    expect(resolveDatabaseTarget('pglite:./x', '/srv')).toEqual({ kind: 'pglite', dir: '/srv/x' });
    expect(resolveDatabaseTarget('pglite:memory')).toEqual({ kind: 'pglite', dir: 'memory://' });
  });
  it('uses PostgreSQL for postgres URLs and hides the password when printed', () => {
    const target = resolveDatabaseTarget('postgres://u:secret@db:5432/sso');
    expect(target.kind).toBe('postgres');
    expect(describeTarget(target)).not.toContain('secret');
  });
  it('refuses anything else with a clear message', () => {
    expect(() => resolveDatabaseTarget('mysql://x')).toThrow(DatabaseUrlError);
    expect(() => resolveDatabaseTarget('pglite:')).toThrow(/needs a folder/);
  });
});

describe('environment', () => {
  it('derives the issuer and turns demo data on only for the embedded database', () => {
    const env = readEnvironment({ PORT: '3100' }, '/srv');
    expect(env.issuer).toBe('http://localhost:3100/oidc');
    expect(env.demo).toBe(true);
    expect(readEnvironment({ DATABASE_URL: 'postgres://x/y' }).demo).toBe(false);
    expect(readEnvironment({ PUBLIC_URL: 'https://sso.example.jp/' }).issuer).toBe('https://sso.example.jp/oidc');
  });
  it('turns demo mode on by itself only for a loopback PUBLIC_URL (issue 12 §3)', () => {
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://127.8.9.10', 'http://[::1]:3000', 'http://portal.localhost']) {
      const env = readEnvironment({ PUBLIC_URL: url, NODE_ENV: 'production' });
      expect(env.demo, url).toBe(true);
      expect(env.demoOutsideLoopback, url).toBe(false);
    }
    for (const url of ['https://sso.example.jp', 'http://192.168.1.10:3000', 'http://10.0.0.1', 'http://[fe80::1]', 'http://localhost.example.jp', 'http://128.0.0.1']) {
      const env = readEnvironment({ PUBLIC_URL: url, NODE_ENV: 'production' });
      expect(env.demo, url).toBe(false);
      // Nothing the demo implies either.
      expect(env.hpkiAutoEnrol, url).toBe(false);
      expect(env.jpkiUnboundProof, url).toBe(false);
      expect(env.privateFetchHosts, url).toEqual([]);
    }
    const explicit = readEnvironment({ PUBLIC_URL: 'https://sso.example.jp', DEMO: 'true' });
    expect(explicit.demo).toBe(true);
    expect(explicit.demoOutsideLoopback).toBe(true);
    expect(readEnvironment({ PUBLIC_URL: 'http://localhost:3000', DEMO: 'false' }).demo).toBe(false);
    // PostgreSQL is a production database: no demo unless asked for.
    expect(readEnvironment({ PUBLIC_URL: 'http://localhost:3000', DATABASE_URL: 'postgres://x/y' }).demo).toBe(false);
  });
  it('the My Number Card proof without an origin: only in the demo unless JPKI_UNBOUND_PROOF says otherwise', () => {
    expect(readEnvironment({ PUBLIC_URL: 'http://localhost:3000' }).jpkiUnboundProof).toBe(true);
    expect(readEnvironment({ PUBLIC_URL: 'http://localhost:3000', DEMO: 'false' }).jpkiUnboundProof).toBe(false);
    expect(readEnvironment({ PUBLIC_URL: 'http://localhost:3000', JPKI_UNBOUND_PROOF: 'false' }).jpkiUnboundProof).toBe(false);
    expect(readEnvironment({ PUBLIC_URL: 'https://sso.example.jp', JPKI_UNBOUND_PROOF: '1' }).jpkiUnboundProof).toBe(true);
    expect(() => readEnvironment({ JPKI_UNBOUND_PROOF: 'yes' })).toThrow(/JPKI_UNBOUND_PROOF/);
  });
  it('session limits: the daily window (18 h by default) absolute, 15 min idle, configurable', () => {
    const env = readEnvironment({});
    expect(env.sessionMaxSeconds).toBe(18 * 3600);
    expect(env.sessionIdleSeconds).toBe(15 * 60);
    const custom = readEnvironment({ DAILY_WINDOW: '8h', SESSION_IDLE_MINUTES: '5' });
    expect([custom.sessionMaxSeconds, custom.sessionIdleSeconds]).toEqual([8 * 3600, 300]);
    // The deprecated alias still sets the window alone.
    expect(readEnvironment({ SESSION_MAX_HOURS: '8' }).sessionMaxSeconds).toBe(8 * 3600);
    expect(() => readEnvironment({ SESSION_MAX_HOURS: '0' })).toThrow(/SESSION_MAX_HOURS/);
    expect(() => readEnvironment({ SESSION_MAX_HOURS: '48' })).toThrow(/SESSION_MAX_HOURS/);
    expect(() => readEnvironment({ SESSION_MAX_HOURS: '12', SIGNING_AUTHORISATION_HOURS: '18' })).toThrow(/contradicts/);
  });
  it('explains invalid settings', () => {
    expect(() => readEnvironment({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => readEnvironment({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
  });
});

describe('key-encryption key', () => {
  const kek = KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'));
  it('round-trips and binds the context', () => {
    const sealed = kek.encrypt('private key', 'signing-key:a');
    expect(kek.decrypt(sealed, 'signing-key:a')).toBe('private key');
    expect(() => kek.decrypt(sealed, 'signing-key:b')).toThrow();
    const tampered = sealed.slice(0, -3) + (sealed.endsWith('AAA') ? 'BBB' : 'AAA');
    expect(() => kek.decrypt(tampered, 'signing-key:a')).toThrow();
  });
  it('must be 32 bytes', () => {
    expect(() => KeyEncryptionKey.fromSecret('c2hvcnQ=')).toThrow(/32 bytes/);
  });
  it('creates a 0600 key file once and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kek-'));
    const file = path.join(dir, 'sub/kek');
    const first = loadKeyEncryptionKey({ file });
    expect(first.source).toContain('new key file');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const second = loadKeyEncryptionKey({ file });
    expect(second.kek.decrypt(first.kek.encrypt('x', 'c'), 'c')).toBe('x');
    fs.rmSync(dir, { recursive: true });
  });
  it('derives distinct purpose keys', () => {
    expect(kek.derive('a').equals(kek.derive('b'))).toBe(false);
    expect(kek.derive('a').equals(kek.derive('a'))).toBe(true);
  });
});

describe('acr ranking', () => {
  it('orders passkey < My Number Card < HPKI', () => {
    expect(acrSatisfies(ACR.hpki, ACR.passkey)).toBe(true);
    expect(acrSatisfies(ACR.passkey, ACR.jpki)).toBe(false);
    expect(acrSatisfies('unknown', ACR.passkey)).toBe(false);
  });
});
