import { generateKeyPairSync } from 'node:crypto';
import { Version } from '@peculiar/asn1-x509';
import { OID } from '../oids.ts';
import type { HpkiTestPki, PractitionerCertificateOptions, PractitionerIdentity } from './hpki-test-pki.ts';
import { defaultPractitioner, issuePractitionerCertificate, testCaName } from './hpki-test-pki.ts';
import { issueCertificate, issueCrl } from './issue.ts';
import type { IssueCertificateOptions, IssuedCertificate, IssuedCrl } from './issue.ts';
import { recraftCertificate, subjectPublicKeyInfoOf } from './recraft.ts';
import { createHpkiTestPki } from './hpki-test-pki.ts';
import { createTrustStore, type TrustStore } from '../index.ts';

const DAY = 24 * 60 * 60 * 1000;

/** A foreign coding scheme: the same role string under it is not an HPKI qualification. */
export const FOREIGN_HCROLE_SCHEME = '1.2.3.4.5.6.7';

/** Names of the certificates that each break (or, for the `accepted*` ones, meet) one issue-13 rule. */
export type NonConformingVariant =
  | 'rsa1024'
  | 'secp256k1'
  | 'acceptedP384'
  | 'acceptedP521'
  | 'acceptedRsa3072'
  | 'foreignScheme'
  | 'mixedSchemes'
  | 'unknownRole'
  | 'signatureAlgorithmMismatch'
  | 'v1WithExtensions'
  | 'v2WithExtensions'
  | 'criticalDirectoryAttributes'
  | 'nulInCommonName'
  | 'escapeInKanjiName'
  | 'nulInCrlUrl'
  | 'fromSigningCa'
  | 'fromRoot'
  | 'fromCaWithoutPolicy'
  | 'fromWeakCa'
  | 'issuerNameInOtherCase';

export interface NonConformingCertificates {
  certificates: Record<NonConformingVariant, IssuedCertificate>;
  /** An issuing CA with the authentication policy but an RSA-1024 key. */
  weakCa: IssuedCertificate;
  /** An issuing CA without any certificatePolicies. */
  caWithoutPolicy: IssuedCertificate;
  /** CRLs of the two extra CAs (empty, valid a week). */
  crls: IssuedCrl[];
  /** Trust-store input: the test PKI's plus the two extra CAs and their CRLs. */
  trustStoreInput: { anchors: Uint8Array[]; intermediates: Uint8Array[]; crls: Uint8Array[] };
}

/** A practitioner with its own HPKI ID, so an enrolment from each variant is a new person. */
export function testPractitionerIdentity(hpkiId: string, extra: Partial<PractitionerIdentity> = {}): PractitionerIdentity {
  return { ...defaultPractitioner, hpkiId, ...extra };
}

/**
 * Certificates for the rules of issue 13, each otherwise like the test PKI's valid authentication
 * certificate (same CA, policy, hcRole "Medical Doctor"), so a refusal can only come from the rule
 * under test. ECDSA P-256 leaf keys unless the rule is about the key. Expects the default (RSA)
 * test PKI: the signature-algorithm variant is signed by the RSA authentication CA.
 */
export async function issueNonConformingCertificates(pki: HpkiTestPki): Promise<NonConformingCertificates> {
  const validity = { notBefore: new Date(pki.now.getTime() - 30 * DAY), notAfter: new Date(pki.now.getTime() + 365 * DAY) };
  const doctor = [{ role: 'Medical Doctor' }];
  const leaf = (hpkiId: string, extra: Partial<PractitionerCertificateOptions> = {}) =>
    issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      keyAlgorithm: 'ecdsa-p256',
      hcRoles: doctor,
      practitioner: testPractitionerIdentity(hpkiId),
      ...validity,
      ...extra,
    });
  const extraCa = (cn: string, extra: Partial<IssueCertificateOptions>) =>
    issueCertificate({
      subject: testCaName(cn),
      issuer: pki.root,
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(pki.now.getTime() - 100 * DAY),
      notAfter: new Date(pki.now.getTime() + 1000 * DAY),
      ca: { pathLength: 0 },
      ...extra,
    });
  const [weakCa, caWithoutPolicy] = await Promise.all([
    extraCa('HPKI-01-WeakAuthCA-forAuthentication', { keyAlgorithm: 'rsa-1024', policies: [OID.hpkiAuthenticationCaPolicy] }),
    extraCa('HPKI-01-NoPolicyCA', {}),
  ]);

  const base = await leaf('Test130000');
  const certificates: Record<NonConformingVariant, Promise<IssuedCertificate> | IssuedCertificate> = {
    rsa1024: leaf('Test130001', { keyAlgorithm: 'rsa-1024' }),
    secp256k1: recraftCertificate(base, {
      signer: pki.authCa.keys,
      mutate: (tbs) => {
        tbs.subjectPublicKeyInfo = subjectPublicKeyInfoOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey);
      },
    }),
    acceptedP384: leaf('Test130003', { keyAlgorithm: 'ecdsa-p384' }),
    acceptedP521: leaf('Test130004', { keyAlgorithm: 'ecdsa-p521' }),
    acceptedRsa3072: leaf('Test130005', { keyAlgorithm: 'rsa-3072' }),
    foreignScheme: leaf('Test130006', { hcRoles: [{ role: 'Medical Doctor', codingScheme: FOREIGN_HCROLE_SCHEME }] }),
    mixedSchemes: leaf('Test130007', { hcRoles: [{ role: 'Medical Doctor' }, { role: 'Medical Doctor', codingScheme: FOREIGN_HCROLE_SCHEME }] }),
    unknownRole: leaf('Test130008', { hcRoles: [{ role: 'Chief Wizard' }] }),
    // The generator names sha256WithRSAEncryption inside; the outer one says SHA-384, and the signature is a real SHA-384 one.
    signatureAlgorithmMismatch: recraftCertificate(base, { signer: pki.authCa.keys, innerAlgorithm: 'sha256WithRSAEncryption', outerAlgorithm: 'sha384WithRSAEncryption' }),
    v1WithExtensions: recraftCertificate(base, {
      signer: pki.authCa.keys,
      mutate: (tbs) => {
        tbs.version = Version.v1;
      },
    }),
    v2WithExtensions: recraftCertificate(base, {
      signer: pki.authCa.keys,
      mutate: (tbs) => {
        tbs.version = Version.v2;
      },
    }),
    criticalDirectoryAttributes: leaf('Test130011', { hcRoleExtensionCritical: true }),
    nulInCommonName: leaf('Test130012', { practitioner: testPractitionerIdentity('Test130012', { romanisedName: 'Taro\u0000Iryo' }) }),
    escapeInKanjiName: leaf('Test130013', { practitioner: testPractitionerIdentity('Test130013', { kanjiGivenName: '太\u001b郎' }) }),
    nulInCrlUrl: leaf('Test130014', { crlDistributionPoint: 'http://hpki-test.invalid/repository/auth\u0000.crl' }),
    fromSigningCa: leaf('Test130015', { issuer: pki.signCa }),
    fromRoot: leaf('Test130016', { issuer: pki.root }),
    fromCaWithoutPolicy: leaf('Test130017', { issuer: caWithoutPolicy }),
    fromWeakCa: leaf('Test130018', { issuer: weakCa }),
    // The authentication CA's name as an issuer field in other letter case and spacing (RFC 5280 §7.1: the same name).
    issuerNameInOtherCase: leaf('Test130019', {
      issuerName: [{ C: ['jp'] }, { O: ['medis  test'] }, { OU: [' MEDIS HPKI CA TEST '] }, { CN: [pki.authCa.certificate.subjectName.getField('CN')[0]!.toUpperCase()] }],
    }),
  };
  const issued = Object.fromEntries(await Promise.all(Object.entries(certificates).map(async ([name, c]) => [name, await c] as const))) as Record<NonConformingVariant, IssuedCertificate>;

  const thisUpdate = new Date(pki.now.getTime() - DAY);
  const nextUpdate = new Date(pki.now.getTime() + 7 * DAY);
  const crls = await Promise.all([weakCa, caWithoutPolicy].map((issuer) => issueCrl({ issuer, thisUpdate, nextUpdate })));
  return {
    certificates: issued,
    weakCa,
    caWithoutPolicy,
    crls,
    trustStoreInput: {
      anchors: pki.trustStoreInput.anchors,
      intermediates: [...pki.trustStoreInput.intermediates, weakCa.der, caWithoutPolicy.der],
      crls: [...pki.trustStoreInput.crls, ...crls.map((c) => c.der)],
    },
  };
}

/** A fresh test PKI, its non-conforming certificates, and a trust store of both (the rule tests' common start). */
export async function nonConformingTestPki(): Promise<{ pki: HpkiTestPki; nc: NonConformingCertificates; store: TrustStore }> {
  const pki = await createHpkiTestPki();
  const nc = await issueNonConformingCertificates(pki);
  return { pki, nc, store: await createTrustStore(nc.trustStoreInput) };
}
