import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';
import { issueCertificate, issueCrl } from './issue.ts';
import type { IssuedCertificate, IssuedCrl } from './issue.ts';

const DAY = 24 * 60 * 60 * 1000;
const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY);

/** Base URL of the test J-LIS repository named in CRL distribution points (never fetched). */
export const JPKI_TEST_REPOSITORY_URL = 'http://jpki-test.invalid/repository';

/**
 * The J-LIS user-authentication root DN with `O=JPKI-TEST` (research/protocol-facts.md §B4).
 * Every production generation shares one DN, so the look-alike root below shares it too.
 */
export const jpkiTestRootName = (): x509.JsonName => [
  { C: ['JP'] },
  { O: ['JPKI-TEST'] },
  { OU: ['JPKI for user authentication'] },
  { OU: ['Japan Agency for Local Authority Information Systems'] },
];

/** The user-authentication subject: `C=JP, CN=<opaque serial-like string>`, no name or address. */
export const jpkiSubject = (cardId: string): x509.JsonName => [{ C: ['JP'] }, { CN: [cardId] }];

/** Opaque subject CNs of the test cards, in the shape of a real test card's (`997794E9AGCIEG13221003A`). */
export const JPKI_TEST_CARD_IDS = {
  valid: '997794E9AGCIEG13221003A',
  secondHolder: '481236C7BHDKFM27450118B',
  revoked: '305518A2CJEHKL09871204C',
  expired: '720934F1DKGMHN15630907D',
  untrustedIssuer: '997794E9AGCIEG13221003A',
} as const;

export type JpkiCardVariant = keyof typeof JPKI_TEST_CARD_IDS;

export interface JpkiUserCertificateOptions {
  issuer: IssuedCertificate;
  cardId: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber?: string;
  crlDistributionPoint?: string;
}

/**
 * A JPKI user-authentication certificate: RSA-2048 (the card's key size), keyUsage
 * digitalSignature (critical), certificatePolicies 1.2.392.200149.8.5.1.3.30, no EKU.
 * The production KU/EKU and CRL URLs are UNVERIFIED (protocol-facts §B4); this follows the policy OID.
 */
export function issueJpkiUserCertificate(options: JpkiUserCertificateOptions): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: jpkiSubject(options.cardId),
    issuer: options.issuer,
    keyAlgorithm: 'rsa-2048',
    serialNumber: options.serialNumber,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    policies: [OID.jpkiAuthenticationPolicy],
    crlDistributionPoints: [options.crlDistributionPoint ?? `${JPKI_TEST_REPOSITORY_URL}/auth.crl`],
  });
}

/** A self-signed RSA-2048 J-LIS-style root that issues user certificates directly. */
export function issueJpkiTestRoot(now: Date): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: jpkiTestRootName(),
    keyAlgorithm: 'rsa-2048',
    serialNumber: '01',
    notBefore: addDays(now, -3650),
    notAfter: addDays(now, 3650),
    ca: {},
  });
}

export interface JpkiTestPki {
  now: Date;
  root: IssuedCertificate;
  /** The root's CRL, listing the `revoked` card. */
  rootCrl: IssuedCrl;
  /** Same DN as `root`, other key: an impostor J-LIS root. */
  untrustedRoot: IssuedCertificate;
  /** User-authentication certificates with their (extractable) RSA key pairs. */
  cards: Record<JpkiCardVariant, IssuedCertificate>;
  /** DER inputs for a trust store that trusts the test root and holds its CRL. */
  trustStoreInput: { anchors: Uint8Array[]; intermediates: Uint8Array[]; crls: Uint8Array[] };
}

/**
 * The JPKI test hierarchy. Structure is fixed; keys and serials are fresh on every call.
 * `now` anchors every validity period and CRL date (default: the current time).
 */
export async function createJpkiTestPki(options: { now?: Date } = {}): Promise<JpkiTestPki> {
  const now = options.now ?? new Date();
  const [root, untrustedRoot] = await Promise.all([issueJpkiTestRoot(now), issueJpkiTestRoot(now)]);
  // Valid until the holder's 5th birthday after issuance: about five years.
  const current = { notBefore: addDays(now, -30), notAfter: addDays(now, 365 * 5) };
  const card = (variant: JpkiCardVariant, extra: Partial<JpkiUserCertificateOptions> = {}) =>
    issueJpkiUserCertificate({ issuer: root, cardId: JPKI_TEST_CARD_IDS[variant], ...current, ...extra });

  const variants: Record<JpkiCardVariant, Promise<IssuedCertificate>> = {
    valid: card('valid'),
    secondHolder: card('secondHolder'),
    revoked: card('revoked'),
    expired: card('expired', { notBefore: addDays(now, -365 * 5 - 30), notAfter: addDays(now, -1) }),
    untrustedIssuer: card('untrustedIssuer', { issuer: untrustedRoot }),
  };
  const cards = Object.fromEntries(
    await Promise.all(Object.entries(variants).map(async ([name, issued]) => [name, await issued] as const)),
  ) as Record<JpkiCardVariant, IssuedCertificate>;

  const rootCrl = await issueCrl({
    issuer: root,
    thisUpdate: addDays(now, -1),
    nextUpdate: addDays(now, 7),
    revoked: [{ serialNumber: cards.revoked.certificate.serialNumber, reason: x509.X509CrlReason.keyCompromise }],
  });

  return {
    now,
    root,
    rootCrl,
    untrustedRoot,
    cards,
    trustStoreInput: { anchors: [root.der], intermediates: [], crls: [rootCrl.der] },
  };
}

/** What a card emulator needs from a test certificate: its DER and the PKCS#8 DER of its key. */
export async function jpkiCardMaterial(issued: IssuedCertificate): Promise<{ certificateDer: Uint8Array; privateKeyPkcs8: Uint8Array }> {
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', issued.keys.privateKey);
  return { certificateDer: issued.der, privateKeyPkcs8: new Uint8Array(pkcs8) };
}
