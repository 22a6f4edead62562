import { beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../src/pki/x509.ts';
import { decodeCertificate } from '../../../src/pki/validation/certificate-extensions.ts';
import { parseCertificate } from '../../../src/pki/validation/parse-certificate.ts';
import { readTlv } from '../../../src/pki/der/read-tlv.ts';
import { createJpkiTestPki, issueNonConformingCertificates } from '../../../src/pki/test-pki/index.ts';
import { createHpkiTestPki } from '../../../src/pki/test-pki/index.ts';

/**
 * decodeCertificate decodes each extension once from the certificate's own DER; it must give exactly
 * what @peculiar/x509 gives (same classes, order, criticality, values and decoded fields) for every
 * certificate the project makes, and fail closed on broken extension DER.
 */
const certificates: Array<[string, Uint8Array<ArrayBuffer>]> = [];

beforeAll(async () => {
  const hpki = await createHpkiTestPki();
  const nc = await issueNonConformingCertificates(hpki);
  const jpki = await createJpkiTestPki();
  for (const [name, issued] of Object.entries(hpki.practitioners)) certificates.push([`hpki ${name}`, new Uint8Array(issued.der)]);
  for (const [name, issued] of Object.entries({ root: hpki.root, authCa: hpki.authCa, signCa: hpki.signCa })) certificates.push([`hpki ${name}`, new Uint8Array(issued.der)]);
  for (const [name, issued] of Object.entries(nc.certificates)) certificates.push([`non-conforming ${name}`, new Uint8Array(issued.der)]);
  for (const [name, issued] of Object.entries(jpki.cards)) certificates.push([`jpki ${name}`, new Uint8Array(issued.der)]);
  certificates.push(['jpki root', new Uint8Array(jpki.root.der)]);
}, 120_000);

/** What a test can compare of an extension: its class, fields, and its decoded view where it has one. */
function describeExtension(e: x509.Extension) {
  const decoded: Record<string, unknown> = {};
  if (e instanceof x509.BasicConstraintsExtension) Object.assign(decoded, { ca: e.ca, pathLength: e.pathLength });
  if (e instanceof x509.KeyUsagesExtension) decoded.usages = e.usages;
  if (e instanceof x509.ExtendedKeyUsageExtension) decoded.usages = e.usages;
  if (e instanceof x509.SubjectKeyIdentifierExtension || e instanceof x509.AuthorityKeyIdentifierExtension) decoded.keyId = e.keyId;
  if (e instanceof x509.CertificatePolicyExtension) decoded.policies = e.policies;
  if (e instanceof x509.SubjectAlternativeNameExtension) decoded.names = e.names.toJSON();
  if (e instanceof x509.CRLDistributionPointsExtension) decoded.points = e.distributionPoints.map((p) => JSON.stringify(p));
  if (e instanceof x509.AuthorityInfoAccessExtension) decoded.ocsp = e.ocsp.map((n) => n.toJSON());
  return {
    class: e.constructor.name,
    type: e.type,
    critical: e.critical,
    value: Buffer.from(e.value).toString('hex'),
    raw: Buffer.from(e.rawData).toString('hex'),
    decoded,
  };
}

describe('decodeCertificate', () => {
  it('gives the extensions @peculiar/x509 gives, for every certificate of the test hierarchies', () => {
    expect(certificates.length).toBeGreaterThan(20);
    let typed = 0;
    for (const [name, der] of certificates) {
      const expected = new x509.X509Certificate(der).extensions.map(describeExtension);
      const actual = decodeCertificate(der).extensions.map(describeExtension);
      expect(actual, name).toEqual(expected);
      typed += actual.filter((e) => e.class !== 'Extension').length;
    }
    // The typed classes are really exercised, not only generic extensions.
    expect(typed).toBeGreaterThan(certificates.length * 3);
  });

  it('finds extensions by class as the library does', () => {
    for (const name of ['hpki valid', 'hpki authCa']) {
      const [, der] = certificates.find(([n]) => n === name)!;
      const ours = decodeCertificate(der);
      const theirs = new x509.X509Certificate(der);
      expect(ours).toBeInstanceOf(x509.X509Certificate);
      expect(ours.getExtension(x509.BasicConstraintsExtension)?.ca, name).toBe(theirs.getExtension(x509.BasicConstraintsExtension)?.ca);
      expect(ours.getExtension(x509.KeyUsagesExtension)?.usages, name).toBe(theirs.getExtension(x509.KeyUsagesExtension)?.usages);
      expect(ours.getExtensions(x509.CRLDistributionPointsExtension), name).toHaveLength(1);
    }
    const [, ca] = certificates.find(([n]) => n === 'hpki authCa')!;
    expect(decodeCertificate(ca).getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
  });

  it('refuses broken extension DER: reading the extensions throws, and validation calls the certificate malformed', () => {
    const [, der] = certificates.find(([name]) => name === 'hpki valid')!;
    // Find the extensions field ([3]) and flip the tag of its first extension from SEQUENCE to SET.
    const bytes = new Uint8Array(der);
    const outer = readTlv(bytes, 0, bytes.length);
    const tbs = readTlv(bytes, outer.contentStart, outer.end);
    let offset = tbs.contentStart;
    let field = readTlv(bytes, offset, tbs.end);
    while (field.tag !== 0xa3) {
      offset = field.end;
      field = readTlv(bytes, offset, tbs.end);
    }
    const list = readTlv(bytes, field.contentStart, field.end);
    const broken = bytes.slice();
    broken[list.contentStart] = 0x31;
    expect(() => decodeCertificate(broken).extensions).toThrow();
    const result = (() => {
      try {
        parseCertificate(broken);
        return 'parsed';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    })();
    expect(result).toBe('certificate_malformed');
  });
});
