import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';
import { hcRoleExtension, malformedHcRoleExtensionValues, rawSubjectDirectoryAttributesExtension } from './hc-role-extension.ts';
import type { HcRoleSpec } from './hc-role-extension.ts';
import { issueCertificate, issueCrl } from './issue.ts';
import type { IssuedCertificate, IssuedCrl } from './issue.ts';
import type { KeyAlgorithmName } from './keys.ts';

const DAY = 24 * 60 * 60 * 1000;
const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY);

/** Base URL of the test repository named in CRL distribution points (never fetched). */
export const TEST_REPOSITORY_URL = 'http://hpki-test.invalid/repository';

export const testRootName = (label = 'MHLW HPKI Root CA V2 TEST'): x509.JsonName => [
  { C: ['JP'] },
  { O: ['Ministry of Health, Labour and Welfare'] },
  { OU: ['Director-General for Policy Planning and Evaluation'] },
  { OU: [label] },
];

export const testCaName = (cn: string): x509.JsonName => [{ C: ['JP'] }, { O: ['MEDIS TEST'] }, { OU: ['MEDIS HPKI CA TEST'] }, { CN: [cn] }];

export const AUTH_CA_CN = 'HPKI-01-TestAuthCA2-forAuthentication-forIndividual';
export const SIGN_CA_CN = 'HPKI-01-TestSignCA2-forNonRepudiation';

export interface PractitionerIdentity {
  /** Romanised name as written in the subject CN, e.g. "Taro Iryo". */
  romanisedName: string;
  kanjiFamilyName: string;
  kanjiGivenName: string;
  facilityEn: string;
  facilityJa: string;
  /** The subject serialNumber RDN (HPKI ID), e.g. "Test000001". */
  hpkiId: string;
}

export const defaultPractitioner: PractitionerIdentity = {
  romanisedName: 'Taro Iryo',
  kanjiFamilyName: '医療',
  kanjiGivenName: '太郎',
  facilityEn: 'HPKI TEST UNIVERSITY HOSPITAL',
  facilityJa: 'HPKIテスト大学病院',
  hpkiId: 'Test000001',
};

export function practitionerSubject(p: PractitionerIdentity): x509.JsonName {
  return [{ C: ['JP'] }, { O: [p.facilityEn] }, { CN: [p.romanisedName] }, { '2.5.4.5': [p.hpkiId] }];
}

/** The kanji directoryName of subjectAltName; family and given names separated by U+3000. */
export function practitionerKanjiName(p: PractitionerIdentity): x509.JsonName {
  return [{ C: ['JP'] }, { O: [p.facilityJa] }, { CN: [`${p.kanjiFamilyName}\u3000${p.kanjiGivenName}`] }, { '2.5.4.5': [p.hpkiId] }];
}

export interface PractitionerCertificateOptions {
  issuer?: IssuedCertificate;
  kind: 'authentication' | 'signing';
  practitioner?: PractitionerIdentity;
  /** hcRoles to carry; [] or omitted with `hcRoleExtensionValue` unset → no extension. */
  hcRoles?: HcRoleSpec[];
  /** Raw subjectDirectoryAttributes value instead of `hcRoles` (malformed-input fixtures). */
  hcRoleExtensionValue?: Uint8Array<ArrayBuffer>;
  keyAlgorithm?: KeyAlgorithmName;
  serialNumber?: string;
  notBefore: Date;
  notAfter: Date;
  crlDistributionPoint?: string;
  /** Authority Information Access OCSP responder URL; none by default. */
  ocspUrl?: string;
  /** Mark subjectDirectoryAttributes critical (RFC 5280 §4.2.1.8 forbids it; a refusal fixture). */
  hcRoleExtensionCritical?: boolean;
  /** The issuer field as written, when it should differ in spelling from the CA's subject. */
  issuerName?: x509.JsonName;
}

/**
 * An HPKI practitioner certificate in the MEDIS layout (research/protocol-facts.md §A3):
 * authentication → keyUsage digitalSignature (critical), EKU clientAuth, policy 1.2.392.100495.1.5.1.2.0.1;
 * signing → keyUsage nonRepudiation only (critical), policy 1.2.392.100495.1.5.1.1.0.1 (critical).
 * Without an issuer the certificate is self-signed.
 */
export async function issuePractitionerCertificate(options: PractitionerCertificateOptions): Promise<IssuedCertificate> {
  const practitioner = options.practitioner ?? defaultPractitioner;
  const authentication = options.kind === 'authentication';
  const extensions: x509.Extension[] = [];
  if (options.hcRoleExtensionValue) extensions.push(rawSubjectDirectoryAttributesExtension(options.hcRoleExtensionValue));
  else if (options.hcRoles?.length) extensions.push(hcRoleExtension(options.hcRoles));
  if (options.hcRoleExtensionCritical && extensions[0]) extensions[0] = new x509.Extension(extensions[0].type, true, extensions[0].value);
  return issueCertificate({
    subject: practitionerSubject(practitioner),
    issuer: options.issuer,
    keyAlgorithm: options.keyAlgorithm,
    serialNumber: options.serialNumber,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keyUsage: authentication ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.nonRepudiation,
    extendedKeyUsage: authentication ? [OID.ekuClientAuth] : undefined,
    // EE policy OIDs: signing …1.1.0.1 is from a real MEDIS certificate; authentication …1.2.0.1 is UNVERIFIED (by analogy).
    policies: [authentication ? OID.hpkiAuthenticationEePolicy : OID.hpkiSigningEePolicy],
    policiesCritical: true,
    crlDistributionPoints: [options.crlDistributionPoint ?? `${TEST_REPOSITORY_URL}/${authentication ? 'auth' : 'sign'}.crl`],
    ocspUrl: options.ocspUrl,
    subjectAltDirectoryName: practitionerKanjiName(practitioner),
    extensions,
    issuerName: options.issuerName,
  });
}

export interface HpkiCaHierarchy {
  root: IssuedCertificate;
  authCa: IssuedCertificate;
  signCa: IssuedCertificate;
}

/** MHLW-style root with an authentication CA and a signing CA under it (CA policy arcs from §A3). */
export async function issueHpkiCaHierarchy(options: { now: Date; keyAlgorithm?: KeyAlgorithmName; rootLabel?: string }): Promise<HpkiCaHierarchy> {
  const { now } = options;
  const keyAlgorithm = options.keyAlgorithm ?? 'rsa-2048';
  const root = await issueCertificate({
    subject: testRootName(options.rootLabel),
    keyAlgorithm,
    serialNumber: '01',
    notBefore: addDays(now, -3650),
    notAfter: addDays(now, 3650 * 2),
    ca: {},
    crlDistributionPoints: [`${TEST_REPOSITORY_URL}/rlist/rarl2.crl`],
  });
  const subCa = (cn: string, policy: string, serialNumber: string) =>
    issueCertificate({
      subject: testCaName(cn),
      issuer: root,
      keyAlgorithm,
      serialNumber,
      notBefore: addDays(now, -3000),
      notAfter: addDays(now, 3650),
      ca: { pathLength: 0 },
      policies: [policy],
      crlDistributionPoints: [`${TEST_REPOSITORY_URL}/rlist/sarl2.crl`],
    });
  const [authCa, signCa] = await Promise.all([
    subCa(AUTH_CA_CN, OID.hpkiAuthenticationCaPolicy, '05'),
    subCa(SIGN_CA_CN, OID.hpkiSigningCaPolicy, '04'),
  ]);
  return { root, authCa, signCa };
}

/** Names of the practitioner certificate variants. */
export type PractitionerVariant =
  | 'valid'
  | 'validEcdsa'
  | 'expired'
  | 'notYetValid'
  | 'revoked'
  | 'untrustedIssuer'
  | 'selfSigned'
  | 'signing'
  | 'noHcRole'
  | 'twoHcRoles'
  | 'malformedHcRole';

export interface HpkiTestPki extends HpkiCaHierarchy {
  now: Date;
  rootCrl: IssuedCrl;
  authCaCrl: IssuedCrl;
  signCaCrl: IssuedCrl;
  /** A second hierarchy with the same names but other keys: what an impostor CA would look like. */
  untrusted: HpkiCaHierarchy;
  practitioners: Record<PractitionerVariant, IssuedCertificate>;
  /** DER inputs for a trust store that trusts the test root and knows both CAs and all CRLs. */
  trustStoreInput: { anchors: Uint8Array[]; intermediates: Uint8Array[]; crls: Uint8Array[] };
}

/**
 * The complete test PKI. Structure is fixed; keys and serials are fresh on every call.
 * `now` anchors every validity period and CRL date (default: the current time).
 */
export async function createHpkiTestPki(options: { now?: Date; keyAlgorithm?: KeyAlgorithmName } = {}): Promise<HpkiTestPki> {
  const now = options.now ?? new Date();
  const [trusted, untrusted] = await Promise.all([
    issueHpkiCaHierarchy({ now, keyAlgorithm: options.keyAlgorithm }),
    issueHpkiCaHierarchy({ now, keyAlgorithm: options.keyAlgorithm }),
  ]);
  const { authCa, signCa } = trusted;
  const current = { notBefore: addDays(now, -30), notAfter: addDays(now, 365 * 2) };
  const doctor: HcRoleSpec[] = [{ role: 'Medical Doctor' }];
  const auth = (extra: Partial<PractitionerCertificateOptions> = {}) =>
    issuePractitionerCertificate({ issuer: authCa, kind: 'authentication', hcRoles: doctor, ...current, ...extra });

  const variants: Record<PractitionerVariant, Promise<IssuedCertificate>> = {
    valid: auth(),
    validEcdsa: auth({ keyAlgorithm: 'ecdsa-p256' }),
    expired: auth({ notBefore: addDays(now, -800), notAfter: addDays(now, -1) }),
    notYetValid: auth({ notBefore: addDays(now, 1), notAfter: addDays(now, 800) }),
    revoked: auth(),
    untrustedIssuer: auth({ issuer: untrusted.authCa }),
    selfSigned: auth({ issuer: undefined }),
    signing: issuePractitionerCertificate({ issuer: signCa, kind: 'signing', hcRoles: doctor, ...current }),
    noHcRole: auth({ hcRoles: [] }),
    twoHcRoles: auth({ hcRoles: [{ role: 'Medical Doctor' }, { role: 'Director of Hospital' }] }),
    malformedHcRole: auth({ hcRoleExtensionValue: malformedHcRoleExtensionValues.integerInsteadOfString }),
  };
  const practitioners = Object.fromEntries(
    await Promise.all(Object.entries(variants).map(async ([name, issued]) => [name, await issued] as const)),
  ) as Record<PractitionerVariant, IssuedCertificate>;

  const thisUpdate = addDays(now, -1);
  const nextUpdate = addDays(now, 7);
  const [rootCrl, authCaCrl, signCaCrl] = await Promise.all([
    issueCrl({ issuer: trusted.root, thisUpdate, nextUpdate }),
    issueCrl({ issuer: authCa, thisUpdate, nextUpdate, revoked: [{ serialNumber: practitioners.revoked.certificate.serialNumber, reason: x509.X509CrlReason.keyCompromise }] }),
    issueCrl({ issuer: signCa, thisUpdate, nextUpdate }),
  ]);

  return {
    now,
    ...trusted,
    rootCrl,
    authCaCrl,
    signCaCrl,
    untrusted,
    practitioners,
    trustStoreInput: {
      anchors: [trusted.root.der],
      intermediates: [authCa.der, signCa.der],
      crls: [rootCrl.der, authCaCrl.der, signCaCrl.der],
    },
  };
}
