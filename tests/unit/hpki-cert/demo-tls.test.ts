import { spawnSync } from 'node:child_process';
import { createHmac, createPrivateKey, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OctetString } from 'asn1js';
import { CertBag, CryptoEngine, PFX, PKCS8ShroudedKeyBag, SafeContents } from 'pkijs';
import { createDemoServerCertificate } from '../../../src/demo/demo-server-certificate.ts';
import { createPkcs12 } from '../../../src/demo/pkcs12-file.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

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

const engine = new CryptoEngine({ name: 'test', crypto: webcrypto as unknown as Crypto });
const bytes = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;

/**
 * The file read back with PKI.js (MAC checked, the certificates' SafeContents decrypted) and the
 * shrouded key bag, an EncryptedPrivateKeyInfo, decrypted by Node (OpenSSL).
 */
async function readPkcs12(pfxDer: Uint8Array, password: string) {
  const pfx = PFX.fromBER(Uint8Array.from(pfxDer));
  await pfx.parseInternalValues({ password: bytes(password), checkIntegrity: true }, engine);
  const safe = pfx.parsedValue!.authenticatedSafe!;
  await safe.parseInternalValues({ safeContents: [{ password: bytes(password) }, {}] }, engine);
  const [certificates, keys] = (safe.parsedValue.safeContents as { value: SafeContents }[]).map((c) => c.value.safeBags);
  const keyBag = keys![0]!.bagValue as PKCS8ShroudedKeyBag;
  const key = createPrivateKey({ key: Buffer.from(keyBag.toSchema().toBER(false)), format: 'der', type: 'pkcs8', passphrase: password });
  return {
    certificates: certificates!.map((bag) => Buffer.from(((bag.bagValue as CertBag).certValue as OctetString).valueBlock.valueHexView)),
    key: key.export({ type: 'pkcs8', format: 'der' }),
    keyBagCount: keys!.length,
  };
}

describe('the PKCS#12 library\'s MAC key derivation (RFC 7292 B.2, ID 3)', () => {
  // Expected keys cross-checked with `openssl kdf ... PKCS12KDF` (BMPString passwords); an HMAC
  // with the library's key must equal one with OpenSSL's (the SHA-256 case: its first 32 bytes).
  it.each([
    ['SHA-1', 'sha1', 'smeg', '0a58cf64530d823f', 1, '9ba6ef317b8cb9f4760ab2fa2e51c066f0dce645'],
    ['SHA-256', 'sha256', 'hpki-demo', '00112233445566778899aabbccddeeff', 2048, '0718a776d7e9bc78bf905d6bac81152e6d966fd62f9e8acaa07883bb9a8b891d'],
  ] as const)('%s, password %s', async (hashAlgorithm, hash, password, salt, iterationCount, expectedKey) => {
    const content = Buffer.from('PKCS#12 authenticated safe');
    const mac = await engine.stampDataWithPassword({
      password: bytes(password),
      hashAlgorithm,
      salt: Uint8Array.from(Buffer.from(salt, 'hex')).buffer,
      iterationCount,
      contentToStamp: Uint8Array.from(content).buffer,
    });
    expect(Buffer.from(mac).toString('hex')).toBe(createHmac(hash, Buffer.from(expectedKey, 'hex')).update(content).digest('hex'));
  });
});

describe('createPkcs12', () => {
  const password = 'hpki-demo-2024';
  let pfx: Uint8Array;
  beforeAll(async () => {
    pfx = await createPkcs12(pki.practitioners.valid.der, keyDer, [pki.authCa.der, pki.root.der], password, { friendlyName: 'Taro Iryo' });
  });

  it('reads back with its MAC, the certificate and the chain as given, and the key byte for byte', async () => {
    const read = await readPkcs12(pfx, password);
    expect(read.certificates).toEqual([pki.practitioners.valid.der, pki.authCa.der, pki.root.der].map((d) => Buffer.from(d)));
    expect(read.keyBagCount).toBe(1);
    expect(read.key).toEqual(Buffer.from(keyDer));
    await expect(readPkcs12(pfx, 'wrong-password')).rejects.toThrow(/Integrity/);
  });

  it('opens in Node TLS (OpenSSL PKCS12_parse) with the password, and not without it', () => {
    expect(() => createSecureContext({ pfx: Buffer.from(pfx), passphrase: password })).not.toThrow();
    expect(() => createSecureContext({ pfx: Buffer.from(pfx), passphrase: 'wrong-password' })).toThrow();
  });

  it.skipIf(!hasOpenssl)('openssl pkcs12 finds the certificate, the chain and the matching key', () => {
    const info = opensslPkcs12(pfx, ['-info', '-nokeys', '-passin', `pass:${password}`]);
    expect(info).toContain('PBES2, PBKDF2, AES-256-CBC');
    expect(info).toContain('MAC: sha256');
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

  it('holds an ECDSA key too', async () => {
    const ec = pki.practitioners.validEcdsa;
    const ecKey = KeyObject.from(ec.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
    const ecPfx = await createPkcs12(ec.der, ecKey, [], password);
    expect(() => createSecureContext({ pfx: Buffer.from(ecPfx), passphrase: password })).not.toThrow();
    expect((await readPkcs12(ecPfx, password)).key).toEqual(Buffer.from(ecKey));
  });

  it('refuses a key that does not belong to the certificate, a non-PKCS#8 key and an empty password', async () => {
    const otherKey = KeyObject.from(pki.practitioners.expired.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
    await expect(createPkcs12(pki.practitioners.valid.der, otherKey, [], password)).rejects.toThrow(/does not belong/);
    await expect(createPkcs12(pki.practitioners.valid.der, new Uint8Array([1, 2, 3]), [], password)).rejects.toThrow(/PKCS#8/);
    await expect(createPkcs12(pki.practitioners.valid.der, keyDer, [], '')).rejects.toThrow(/password/);
    await expect(createPkcs12(new Uint8Array([0x30, 0]), keyDer, [], password)).rejects.toThrow(/X\.509/);
  });
});
