import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, x509 } from '../../../src/pki/index.ts';
import { createHpkiTestPki, defaultPractitioner, issueCertificate, practitionerSubject } from '../../../src/pki/test-pki/index.ts';
import type { HpkiTestPki } from '../../../src/pki/test-pki/index.ts';

const codeOf = (input: unknown): string | undefined => {
  try {
    parseCertificate(input);
    return undefined;
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('parseCertificate', () => {
  let pki: HpkiTestPki;
  beforeAll(async () => {
    pki = await createHpkiTestPki({ keyAlgorithm: 'ecdsa-p256' });
  });

  it('parses DER from a Uint8Array and an ArrayBuffer', () => {
    const { der, certificate } = pki.practitioners.valid;
    expect(parseCertificate(der).serialNumber).toBe(certificate.serialNumber);
    expect(parseCertificate(der.slice().buffer).serialNumber).toBe(certificate.serialNumber);
  });

  it('refuses more than 16 KiB', () => {
    expect(codeOf(new Uint8Array(16 * 1024 + 1))).toBe('certificate_too_large');
    expect(codeOf(randomBytes(1024 * 1024))).toBe('certificate_too_large');
  });

  it('refuses non-bytes, empty input, PEM text and garbage', () => {
    expect(codeOf('-----BEGIN CERTIFICATE-----')).toBe('certificate_malformed');
    expect(codeOf(new Uint8Array())).toBe('certificate_malformed');
    expect(codeOf(Buffer.from(pki.practitioners.valid.pem))).toBe('certificate_malformed');
    expect(codeOf(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))).toBe('certificate_malformed');
  });

  it('refuses every truncation and trailing bytes', () => {
    const { der } = pki.practitioners.valid;
    for (let length = 0; length < der.length; length += 37) expect(codeOf(der.subarray(0, length))).toBe('certificate_malformed');
    expect(codeOf(Buffer.concat([der, Buffer.from([0x00])]))).toBe('certificate_malformed');
  });

  it('refuses a certificate with a corrupted inner length', () => {
    const der = Buffer.from(pki.practitioners.valid.der);
    // Byte 4 begins the TBSCertificate header; make its length field claim too much.
    der[6] = 0xff;
    expect(codeOf(der)).toBe('certificate_malformed');
  });

  it('refuses a critical extension that no validator processes', async () => {
    // nameConstraints marked critical on a leaf: RFC 5280 says refuse what you do not process.
    const cert = await issueCertificate({
      subject: practitionerSubject(defaultPractitioner),
      issuer: pki.authCa,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: pki.now,
      notAfter: new Date(pki.now.getTime() + 86400_000),
      extensions: [new x509.Extension('2.5.29.30', true, Uint8Array.of(0x30, 0x00))],
    });
    expect(codeOf(cert.der)).toBe('certificate_unsupported');
  });

  it('refuses a repeated extension', async () => {
    const cert = await issueCertificate({
      subject: practitionerSubject(defaultPractitioner),
      issuer: pki.authCa,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: pki.now,
      notAfter: new Date(pki.now.getTime() + 86400_000),
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    expect(codeOf(cert.der)).toBe('certificate_malformed');
  });
});
