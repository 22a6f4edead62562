import { spawnSync } from 'node:child_process';
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoServerCertificate, createPkcs12, pkcs12DeriveKey } from '../../../src/demo/demo-tls.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../fixtures/pki/index.ts';

let pki: HpkiTestPki;
let keyDer: Buffer;
let workDir: string;

beforeAll(async () => {
  pki = await createHpkiTestPki();
  keyDer = KeyObject.from(pki.practitioners.valid.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
  workDir = mkdtempSync(path.join(tmpdir(), 'demo-tls-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** Runs `openssl pkcs12` on the file; returns stderr (where -info goes) and stdout, or throws. */
function opensslPkcs12(pfx: Uint8Array, args: string[]): string {
  const file = path.join(workDir, `${Math.random().toString(36).slice(2)}.p12`);
  writeFileSync(file, pfx);
  const run = spawnSync('openssl', ['pkcs12', '-in', file, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl pkcs12 failed: ${run.stderr}`);
  return `${run.stderr}\n${run.stdout}`;
}

const pemBlocks = (text: string, label: string) => text.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g')) ?? [];

describe('createDemoServerCertificate', () => {
  it('makes a serverAuth certificate for localhost, 127.0.0.1 and the given names, with its key', async () => {
    const { certificatePem, privateKeyPem } = await createDemoServerCertificate(['portal.example.jp', '192.0.2.10']);
    const certificate = new X509Certificate(certificatePem);
    const san = certificate.subjectAltName!.split(', ');
    expect(san).toEqual(expect.arrayContaining(['DNS:localhost', 'DNS:portal.example.jp', 'IP Address:127.0.0.1', 'IP Address:192.0.2.10']));
    expect(certificate.checkPrivateKey(createPrivateKey(privateKeyPem))).toBe(true);
    expect(certificate.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(certificate.ca).toBe(false);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
    // Usable as the certificate of a TLS server.
    expect(() => createSecureContext({ cert: certificatePem, key: privateKeyPem })).not.toThrow();
  });

  it('refuses a name that is neither a host name nor an address', async () => {
    await expect(createDemoServerCertificate(['not a host'])).rejects.toThrow(/neither a host name/);
  });
});

describe('pkcs12DeriveKey (RFC 7292 B.2)', () => {
  // Expected values cross-checked with `openssl kdf ... PKCS12KDF` (BMPString passwords).
  it.each([
    ['sha1', 'smeg', '0a58cf64530d823f', 1, 1, 24, '8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3'],
    ['sha1', 'smeg', '0a58cf64530d823f', 2, 1, 8, '79993dfe048d3b76'],
    ['sha1', 'smeg', '0a58cf64530d823f', 3, 1, 20, '9ba6ef317b8cb9f4760ab2fa2e51c066f0dce645'],
    ['sha1', 'queeg', '1682c0fc5b3f7ec5', 1, 1000, 24, '483dd6e919d7de2e8e648ba8f862f3fbfbdc2bcb2c02957f'],
    [
      'sha256', 'hpki-demo', '00112233445566778899aabbccddeeff', 3, 2048, 80,
      '0718a776d7e9bc78bf905d6bac81152e6d966fd62f9e8acaa07883bb9a8b891d4e89d87d9d4b7391c29fcb210f34f8c7099862e0d1106f1d8d04e115066a5c3e76f23392ba6930eff9f319320ae2d8ad',
    ],
  ] as const)('%s %s id %i × %i → %i bytes', (hash, password, salt, id, iterations, length, expected) => {
    expect(pkcs12DeriveKey(hash, password, Buffer.from(salt, 'hex'), id, iterations, length).toString('hex')).toBe(expected);
  });
});

describe('createPkcs12', () => {
  const password = 'hpki-demo-2024';

  for (const profile of ['modern', 'legacy'] as const) {
    describe(`${profile} profile`, () => {
      let pfx: Uint8Array;
      beforeAll(() => {
        pfx = createPkcs12(pki.practitioners.valid.der, keyDer, [pki.authCa.der, pki.root.der], password, { profile, friendlyName: 'Taro Iryo' });
      });

      it('opens in Node TLS (OpenSSL PKCS12_parse) with the password, and not without it', () => {
        expect(() => createSecureContext({ pfx: Buffer.from(pfx), passphrase: password })).not.toThrow();
        expect(() => createSecureContext({ pfx: Buffer.from(pfx), passphrase: 'wrong-password' })).toThrow();
      });

      it.skipIf(!hasOpenssl)('openssl pkcs12 finds the certificate, the chain and the matching key', () => {
        const info = opensslPkcs12(pfx, ['-info', '-nokeys', '-passin', `pass:${password}`]);
        expect(info).toContain(profile === 'modern' ? 'PBES2, PBKDF2, AES-256-CBC' : 'pbeWithSHA1And3-KeyTripleDES-CBC');
        expect(info).toContain(profile === 'modern' ? 'MAC: sha256' : 'MAC: sha1');
        expect(info).toContain('friendlyName: Taro Iryo');
        const certificates = pemBlocks(info, 'CERTIFICATE').map((pem) => new X509Certificate(pem));
        expect(certificates.map((c) => Buffer.from(c.raw))).toEqual([pki.practitioners.valid.der, pki.authCa.der, pki.root.der].map((d) => Buffer.from(d)));

        const keys = pemBlocks(opensslPkcs12(pfx, ['-nocerts', '-nodes', '-passin', `pass:${password}`]), 'PRIVATE KEY');
        expect(keys).toHaveLength(1);
        expect(certificates[0]!.checkPrivateKey(createPrivateKey(keys[0]!))).toBe(true);
      });

      it.skipIf(!hasOpenssl)('openssl refuses a wrong password (the MAC does not verify)', () => {
        expect(() => opensslPkcs12(pfx, ['-info', '-nokeys', '-passin', 'pass:wrong-password'])).toThrow(/Mac verify error|invalid password/i);
      });
    });
  }

  it('holds an ECDSA key too', () => {
    const ec = pki.practitioners.validEcdsa;
    const ecKey = KeyObject.from(ec.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
    const pfx = createPkcs12(ec.der, ecKey, [], password);
    expect(() => createSecureContext({ pfx: Buffer.from(pfx), passphrase: password })).not.toThrow();
  });

  it('refuses a key that does not belong to the certificate, a non-PKCS#8 key and an empty password', () => {
    const otherKey = KeyObject.from(pki.practitioners.expired.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
    expect(() => createPkcs12(pki.practitioners.valid.der, otherKey, [], password)).toThrow(/does not belong/);
    expect(() => createPkcs12(pki.practitioners.valid.der, new Uint8Array([1, 2, 3]), [], password)).toThrow(/PKCS#8/);
    expect(() => createPkcs12(pki.practitioners.valid.der, keyDer, [], '')).toThrow(/password/);
    expect(() => createPkcs12(new Uint8Array([0x30, 0]), keyDer, [], password)).toThrow(/X\.509/);
  });
});
