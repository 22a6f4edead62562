import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { DerError, readTagged } from '../der/read-tlv.ts';
import { PkiError } from '../errors.ts';
import { nameKey } from '../fingerprint.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';
import { locateCrlParts } from './locate-crl-parts.ts';
import type { CrlParts } from './locate-crl-parts.ts';
import { readRevokedCertificates } from './read-revoked-certificates.ts';
import { RevokedSerialTable, RevokedSerialTableBuilder } from './revoked-serial-table.ts';

/** Which certificates a CRL covers, from its issuingDistributionPoint (RFC 5280 §5.2.5). */
export type CrlScope = 'all' | 'end-entity' | 'ca';

/** What a verified CRL says, in plain data that can be posted from a worker thread. */
export interface CrlContents {
  /** Index, among the candidate issuers, of the CA whose key verified the signature. */
  issuerIndex: number;
  thisUpdate: number;
  nextUpdate: number;
  scope: CrlScope;
  distributionPointUris: string[] | undefined;
  /** The cRLNumber extension (RFC 5280 §5.2.3), when present. */
  crlNumber: bigint | undefined;
  revoked: RevokedSerialTable;
}

/** The header is small once the entries are taken out; these bounds only stop absurd input. */
const HEADER_PARSE_OPTIONS = { berOptions: { maxDepth: 64, maxNodes: 100_000 } };

/** CRL extensions this module understands; any other critical one makes the CRL unusable. */
const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>([OID.authorityKeyIdentifier, OID.crlNumber, OID.issuingDistributionPoint]);

/**
 * Parses a DER CRL, finds which of `candidates` issued it (name, keyUsage cRLSign and signature)
 * and reads its entries. Entries are walked directly (readRevokedCertificates); everything else
 * is parsed by @peculiar/x509 from a copy without the entries, and the signature is verified by
 * X509Crl.verify over the original tbsCertList bytes. Throws PkiError `crl_invalid`.
 */
export async function readCrl(der: Uint8Array, candidates: readonly x509.X509Certificate[]): Promise<CrlContents> {
  let parts: CrlParts;
  let header: x509.X509Crl;
  try {
    parts = locateCrlParts(der);
    const asn = AsnConvert.parse(parts.withoutEntries, CertificateList, HEADER_PARSE_OPTIONS);
    // X509Crl.verify checks the signature over tbsCertListRaw when set: the original signed bytes.
    asn.tbsCertListRaw = der.slice(parts.tbsCertList.start, parts.tbsCertList.end).buffer;
    header = new x509.X509Crl(asn, HEADER_PARSE_OPTIONS);
  } catch (cause) {
    throw new PkiError('crl_invalid', `not a DER or PEM X.509 CRL${cause instanceof DerError ? `: ${cause.message}` : ''}`, { cause });
  }
  const inner = der.subarray(parts.innerSignatureAlgorithm.start, parts.innerSignatureAlgorithm.end);
  const outer = der.subarray(parts.signatureAlgorithm.start, parts.signatureAlgorithm.end);
  if (!Buffer.from(inner).equals(Buffer.from(outer))) {
    // RFC 5280 §5.1.1.2: the signed copy of the algorithm must be the one the signature is read with.
    throw new PkiError('crl_invalid', 'the signature algorithm inside tbsCertList differs from the CRL signatureAlgorithm');
  }
  const issuerIndex = await findCrlIssuer(header, candidates);

  const nextUpdate = header.nextUpdate;
  if (!nextUpdate) throw new PkiError('crl_invalid', 'CRL has no nextUpdate');

  let scope: CrlScope = 'all';
  let distributionPointUris: string[] | undefined;
  let crlNumber: bigint | undefined;
  for (const extension of header.extensions) {
    if (extension.type === OID.crlNumber) crlNumber = readCrlNumberValue(extension.value);
    if (extension.type === OID.deltaCrlIndicator) throw new PkiError('crl_invalid', 'delta CRLs are not supported');
    if (extension.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(extension.type)) {
      throw new PkiError('crl_invalid', `unsupported critical CRL extension ${extension.type}`);
    }
    if (extension.type === OID.issuingDistributionPoint) {
      ({ scope, distributionPointUris } = readIssuingDistributionPoint(extension.value));
    }
  }

  let revoked: RevokedSerialTable;
  try {
    revoked = parts.revokedCertificates ? readRevokedCertificates(der, parts.revokedCertificates) : new RevokedSerialTableBuilder(0).build();
  } catch (cause) {
    if (cause instanceof DerError) throw new PkiError('crl_invalid', `malformed revokedCertificates: ${cause.message}`, { cause });
    throw cause;
  }
  return { issuerIndex, thisUpdate: header.thisUpdate.getTime(), nextUpdate: nextUpdate.getTime(), scope, distributionPointUris, crlNumber, revoked };
}

/** CRLNumber ::= INTEGER (0..MAX), at most 20 octets (RFC 5280 §5.2.3), inside the extnValue. */
function readCrlNumberValue(value: ArrayBuffer): bigint {
  const der = new Uint8Array(value);
  let integer;
  try {
    integer = readTagged(der, 0, der.length, 0x02, 'cRLNumber');
  } catch (cause) {
    throw new PkiError('crl_invalid', 'malformed cRLNumber', { cause });
  }
  const length = integer.end - integer.contentStart;
  if (integer.end !== der.length || length < 1 || length > 21 || der[integer.contentStart]! & 0x80) {
    throw new PkiError('crl_invalid', 'cRLNumber is not a non-negative INTEGER of at most 20 octets');
  }
  return BigInt(`0x${Buffer.from(der.subarray(integer.contentStart, integer.end)).toString('hex')}`);
}

/**
 * The cRLNumber of a DER CRL from its header alone (no signature check, no entries read): for
 * comparing a stored CRL, already verified when it was loaded, with a new one. Undefined when absent.
 */
export function readCrlNumber(stored: Uint8Array): bigint | undefined {
  let header: x509.X509Crl;
  try {
    // Rows stored before the import kept PEM bytes as given: read those too.
    const der = stored[0] === 0x30 ? stored : new Uint8Array(x509.PemData.toArrayBuffer(Buffer.from(stored).toString('latin1')));
    const parts = locateCrlParts(der);
    header = new x509.X509Crl(AsnConvert.parse(parts.withoutEntries, CertificateList, HEADER_PARSE_OPTIONS), HEADER_PARSE_OPTIONS);
  } catch (cause) {
    throw new PkiError('crl_invalid', 'stored CRL cannot be read', { cause });
  }
  const extension = header.extensions.find((e) => e.type === OID.crlNumber);
  return extension ? readCrlNumberValue(extension.value) : undefined;
}

async function findCrlIssuer(crl: x509.X509Crl, candidates: readonly x509.X509Certificate[]): Promise<number> {
  const issuerKey = nameKey(crl.issuerName);
  const named = candidates.flatMap((c, index) => (nameKey(c.subjectName) === issuerKey ? [index] : []));
  if (named.length === 0) throw new PkiError('crl_invalid', `no configured CA is named "${crl.issuer}"`);
  for (const index of named) {
    const candidate = candidates[index]!;
    const keyUsage = candidate.getExtension(x509.KeyUsagesExtension);
    if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.cRLSign)) continue;
    try {
      if (await crl.verify({ publicKey: candidate.publicKey })) return index;
    } catch {
      // A key of another algorithm cannot verify this signature; try the next candidate.
    }
  }
  throw new PkiError('crl_invalid', `CRL signature does not verify with any CA named "${crl.issuer}" that may sign CRLs`);
}

function readIssuingDistributionPoint(value: ArrayBuffer): { scope: CrlScope; distributionPointUris: string[] | undefined } {
  let idp: IssuingDistributionPoint;
  try {
    idp = AsnConvert.parse(value, IssuingDistributionPoint);
  } catch (cause) {
    throw new PkiError('crl_invalid', 'malformed issuingDistributionPoint', { cause });
  }
  if (idp.onlySomeReasons) throw new PkiError('crl_invalid', 'reason-partitioned CRLs are not supported');
  if (idp.indirectCRL) throw new PkiError('crl_invalid', 'indirect CRLs are not supported');
  if (idp.onlyContainsAttributeCerts) throw new PkiError('crl_invalid', 'attribute-certificate CRLs cannot be used');
  if (idp.onlyContainsUserCerts && idp.onlyContainsCACerts) throw new PkiError('crl_invalid', 'issuingDistributionPoint claims both user and CA scope');
  const scope: CrlScope = idp.onlyContainsUserCerts ? 'end-entity' : idp.onlyContainsCACerts ? 'ca' : 'all';
  const fullName = idp.distributionPoint?.fullName;
  if (idp.distributionPoint && !fullName) throw new PkiError('crl_invalid', 'relative distribution point names are not supported');
  const distributionPointUris = fullName?.flatMap((name) => (name.uniformResourceIdentifier ? [name.uniformResourceIdentifier] : []));
  return { scope, distributionPointUris };
}
