import { AsnConvert } from '@peculiar/asn1-schema';
import { IssuingDistributionPoint } from '@peculiar/asn1-x509';
import { toBytes } from '../bytes.ts';
import type { BinaryInput } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import { nameKey } from '../fingerprint.ts';
import { OID } from '../oids.ts';
import { normaliseSerialHex } from '../serial.ts';
import { x509 } from '../x509.ts';

export interface RevokedCertificateEntry {
  revokedAt: Date;
  /** CRLReason code (RFC 5280 §5.3.1) when the entry carries one. */
  reason?: number;
}

/** Which certificates a CRL covers, from its issuingDistributionPoint (RFC 5280 §5.2.5). */
export type CrlScope = 'all' | 'end-entity' | 'ca';

/** Upper bounds for CRLs taken from configuration; generous, they only stop absurd input. */
export const MAX_CRL_BYTES = 64 * 1024 * 1024;
const CRL_PARSE_OPTIONS = { berOptions: { maxDepth: 64, maxNodes: 20_000_000, maxContentLength: MAX_CRL_BYTES } };

/** CRL extensions this module understands; any other critical one makes the CRL unusable. */
const UNDERSTOOD_CRL_EXTENSIONS = new Set<string>([OID.authorityKeyIdentifier, OID.crlNumber, OID.issuingDistributionPoint]);
/** Entry extensions understood: reasonCode, invalidityDate. */
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set<string>(['2.5.29.21', '2.5.29.24']);

/**
 * The revoked serials of one CRL whose signature was verified against its issuer, held in a Map
 * keyed by normalised serial hex: a lookup costs the same for 10 or 1,000,000 entries.
 * Immutable once loaded.
 */
export class CrlIndex {
  readonly issuer: x509.X509Certificate;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly scope: CrlScope;
  /** URIs of the issuingDistributionPoint; when set, only certificates naming one of them are covered. */
  readonly distributionPointUris: readonly string[] | undefined;
  readonly #revoked: ReadonlyMap<string, RevokedCertificateEntry>;

  private constructor(params: {
    issuer: x509.X509Certificate;
    thisUpdate: Date;
    nextUpdate: Date;
    scope: CrlScope;
    distributionPointUris: readonly string[] | undefined;
    revoked: Map<string, RevokedCertificateEntry>;
  }) {
    this.issuer = params.issuer;
    this.thisUpdate = params.thisUpdate;
    this.nextUpdate = params.nextUpdate;
    this.scope = params.scope;
    this.distributionPointUris = params.distributionPointUris ? Object.freeze([...params.distributionPointUris]) : undefined;
    this.#revoked = params.revoked;
    Object.freeze(this);
  }

  /**
   * Parses a DER or PEM CRL, finds which of `issuers` issued it (name, keyUsage cRLSign and
   * signature; CAs may share a name across key generations) and indexes it.
   * Throws PkiError `crl_invalid` for anything it cannot use safely: bad signature, missing
   * nextUpdate, delta or indirect CRLs, reason-partitioned CRLs, unknown critical extensions.
   */
  static async load(crl: BinaryInput | string, issuers: x509.X509Certificate | readonly x509.X509Certificate[]): Promise<CrlIndex> {
    const size = typeof crl === 'string' ? crl.length : crl.byteLength;
    if (size > MAX_CRL_BYTES) throw new PkiError('crl_invalid', `CRL is ${size} bytes (limit ${MAX_CRL_BYTES})`);
    let parsed: x509.X509Crl;
    try {
      parsed = new x509.X509Crl(typeof crl === 'string' ? crl : toBytes(crl), CRL_PARSE_OPTIONS);
    } catch (cause) {
      throw new PkiError('crl_invalid', 'not a DER or PEM X.509 CRL', { cause });
    }
    const issuer = await findCrlIssuer(parsed, Array.isArray(issuers) ? issuers : [issuers as x509.X509Certificate]);

    const nextUpdate = parsed.nextUpdate;
    if (!nextUpdate) throw new PkiError('crl_invalid', 'CRL has no nextUpdate');

    let scope: CrlScope = 'all';
    let distributionPointUris: string[] | undefined;
    for (const extension of parsed.extensions) {
      if (extension.type === OID.deltaCrlIndicator) throw new PkiError('crl_invalid', 'delta CRLs are not supported');
      if (extension.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(extension.type)) {
        throw new PkiError('crl_invalid', `unsupported critical CRL extension ${extension.type}`);
      }
      if (extension.type === OID.issuingDistributionPoint) {
        ({ scope, distributionPointUris } = readIssuingDistributionPoint(extension.value));
      }
    }

    const revoked = new Map<string, RevokedCertificateEntry>();
    for (const entry of parsed.entries) {
      for (const extension of entry.extensions) {
        if (extension.critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(extension.type)) {
          throw new PkiError('crl_invalid', `unsupported critical CRL entry extension ${extension.type}`);
        }
      }
      revoked.set(normaliseSerialHex(entry.serialNumber), { revokedAt: entry.revocationDate, reason: entry.reason });
    }
    return new CrlIndex({ issuer, thisUpdate: parsed.thisUpdate, nextUpdate, scope, distributionPointUris, revoked });
  }

  /** Number of revoked serials. */
  get size(): number {
    return this.#revoked.size;
  }

  /** The revocation entry for a serial (any hex form), or undefined when it is not on this CRL. */
  lookup(serialHex: string): RevokedCertificateEntry | undefined {
    return this.#revoked.get(normaliseSerialHex(serialHex));
  }

  isRevoked(serialHex: string): boolean {
    return this.#revoked.has(normaliseSerialHex(serialHex));
  }
}

async function findCrlIssuer(crl: x509.X509Crl, candidates: readonly x509.X509Certificate[]): Promise<x509.X509Certificate> {
  const named = candidates.filter((c) => nameKey(c.subjectName) === nameKey(crl.issuerName));
  if (named.length === 0) throw new PkiError('crl_invalid', `no configured CA is named "${crl.issuer}"`);
  for (const candidate of named) {
    const keyUsage = candidate.getExtension(x509.KeyUsagesExtension);
    if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.cRLSign)) continue;
    try {
      if (await crl.verify({ publicKey: candidate })) return candidate;
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
