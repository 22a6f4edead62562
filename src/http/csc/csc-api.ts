import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { errorMessage } from '../../errors/catalogue.ts';
import { localeFromCookieHeader } from '../../i18n/locale.ts';
import { failureLogLine, readJsonBody, RequestAbortedError, sendJson } from '../json.ts';
import { clientIp } from '../client-ip.ts';
import { x509 } from '../../pki/x509.ts';
import { HASH_ALGORITHM_OIDS, type HashAlgorithmOid } from '../../signing/signing-authorisation-details.ts';
import { reserveSignatures } from '../../signing/signing-authorisations.ts';
import { readCredentialForSigning } from '../../signing/signable-credential.ts';
import type { SignDigest } from '../../signing/sign-with-credential.ts';
import type { SigningCertificateStatus } from '../../signing/signing-certificate-status.ts';
import { requireSigningAccess, type SigningAccess } from './signing-access.ts';

const RSA_SIGN_ALGOS = ['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.11', '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13'];
const EC_SIGN_ALGOS = ['1.2.840.10045.2.1', '1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4'];

const base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(200);
/** Credential IDs are ours (`hpki2-<base64url>`): anything else is refused before it reaches a query. */
const credentialIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/);

const signHashSchema = z.object({
  credentialID: credentialIdSchema,
  hashes: z.array(base64).min(1).max(1000),
  hashAlgorithmOID: z.string().max(64),
  signAlgo: z.string().max(64),
  signAlgoParams: z.string().max(1024).optional(),
  operationMode: z.literal('S').optional(),
  clientData: z.string().max(1024).optional(),
  /** Which kind of document these hashes belong to; must be one the practitioner authorised. */
  documentType: z.string().max(64),
});

/** CSC v2 credentials/list: `onlyValid` asks for usable credentials only (default: every one, retired ones too). */
const credentialListSchema = z.object({ onlyValid: z.boolean().default(false) });

const credentialInfoSchema = z.object({
  credentialID: credentialIdSchema,
  certificates: z.enum(['none', 'single', 'chain']).default('single'),
  certInfo: z.boolean().default(false),
  authInfo: z.boolean().optional(),
});

/**
 * A subset of the CSC API v2 under /csc/v2/: info, credentials/list, credentials/info and
 * signatures/signHash. Only DPoP-bound tokens from the consent flow, only for the practitioner's
 * own credential, only for authorised document types, only until expiry or revocation.
 */
export async function handleCscRequest(portal: Portal, req: IncomingMessage, res: ServerResponse, method: string, signDigest: SignDigest) {
  const path = `/csc/v2/${method}`;
  try {
    if (req.method !== 'POST') throw new PortalError('method_not_allowed', 405);
    if (method === 'info') {
      sendJson(res, 200, {
        specs: '2.0.0.2',
        name: 'HPKI SSO remote signing',
        logo: `${portal.env.publicUrl}/favicon.ico`,
        region: 'JP',
        lang: 'ja-JP',
        description: 'HPKI second certificate remote signing (e-prescriptions and dispensing records)',
        authType: ['oauth2code'],
        oauth2: portal.env.issuer,
        methods: ['credentials/list', 'credentials/info', 'signatures/signHash'],
      });
      return;
    }
    const access = await requireSigningAccess(portal, req, path);
    const authorisedIds = new Set(access.details.map((d) => d.credentialID));
    if (method === 'credentials/list') {
      const json = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
      const body = credentialListSchema.safeParse(json ? await readJsonBody(req) : {});
      if (!body.success) throw new PortalError('invalid_request', 400, 'onlyValid must be a boolean');
      sendJson(res, 200, { credentialIDs: await listCredentialIds(portal, access, authorisedIds, body.data.onlyValid) });
      return;
    }
    if (method === 'credentials/info') {
      const body = credentialInfoSchema.safeParse(await readJsonBody(req));
      if (!body.success) throw new PortalError('invalid_request', 400, 'credentialID required');
      const credential = await visibleCredential(portal, access, body.data.credentialID, authorisedIds);
      const status = await certificateStatus(portal, credential.certificate!);
      sendJson(res, 200, credentialInfo(credential, status, body.data.certificates, body.data.certInfo, access));
      return;
    }
    if (method === 'signatures/signHash') {
      await signHash(portal, req, res, access, authorisedIds, signDigest);
      return;
    }
    throw new PortalError('not_found', 404);
  } catch (error) {
    const locale = localeFromCookieHeader(req.headers.cookie);
    if (method === 'signatures/signHash') {
      // A refused signature is a security event too; nothing was signed.
      await portal
        .audit({ event: 'signature', result: 'failure', ip: clientIp(req, portal.env.trustedProxies), errorCode: error instanceof PortalError ? error.code : 'internal_error' })
        .catch(() => {});
    }
    if (error instanceof PortalError) {
      if (error.status === 401) res.setHeader('www-authenticate', `DPoP error="invalid_token", algs="ES256 PS256 RS256"`);
      sendJson(res, error.status, { error: error.code, error_description: errorMessage(error.code, locale) });
      return;
    }
    portal.log(failureLogLine(req, error));
    if (error instanceof RequestAbortedError) return;
    sendJson(res, 500, { error: 'internal_error', error_description: errorMessage('internal_error', locale) });
  }
}

/** The second certificate's status from the HPKI signing CA (CRL, OCSP first when enabled); `valid` kept a minute. */
function certificateStatus(portal: Portal, certificate: Uint8Array): Promise<SigningCertificateStatus> {
  return portal.signingStatus.status({ trust: portal.trust, ocsp: portal.env.ocsp, fetch: portal.outboundFetch }, certificate);
}

/**
 * The practitioner's credentials with a certificate: the current one only under a consent that
 * named it, then the earlier ones (retired at renewal, revoked, destroyed), newest first, which stay
 * listed so that signatures they made can be verified. `onlyValid`: only a credential that can sign now.
 */
async function listCredentialIds(portal: Portal, access: SigningAccess, authorisedIds: Set<string | undefined>, onlyValid: boolean): Promise<string[]> {
  const rows = await portal.prisma.signingCredential.findMany({
    where: { ownerId: access.practitionerId, certificate: { not: null } },
    orderBy: { createdAt: 'desc' },
  });
  const ids: string[] = [];
  for (const row of rows.sort((a, b) => Number(b.practitionerId !== null) - Number(a.practitionerId !== null))) {
    if (row.practitionerId !== null && !authorisedIds.has(row.id)) continue;
    if (onlyValid && (row.status !== 'active' || !authorisedIds.has(row.id) || (await certificateStatus(portal, row.certificate!)).status !== 'valid')) continue;
    ids.push(row.id);
  }
  return ids;
}

/** The fields that decide whether a token may see a credential. */
interface CredentialOwnership {
  ownerId: string;
  practitionerId: string | null;
  certificate: Uint8Array | null;
}

/**
 * A credential this token may read: the practitioner's own, with a certificate; the current one only
 * if the consent named it. Another practitioner's credential is never visible.
 */
function assertVisible<C extends CredentialOwnership>(credential: C | null, access: SigningAccess, credentialId: string, authorisedIds: Set<string | undefined>): C {
  if (!credential || credential.ownerId !== access.practitionerId || !credential.certificate) {
    throw new PortalError('signing_credential_not_authorised', 403);
  }
  if (credential.practitionerId !== null && !authorisedIds.has(credentialId)) throw new PortalError('signing_credential_not_authorised', 403);
  return credential;
}

async function visibleCredential(portal: Portal, access: SigningAccess, credentialId: string, authorisedIds: Set<string | undefined>) {
  return assertVisible(await portal.prisma.signingCredential.findUnique({ where: { id: credentialId } }), access, credentialId, authorisedIds);
}

/** A credential this token may sign with: named by the consent, and neither revoked, destroyed nor retired. */
async function signingCredential(portal: Portal, access: SigningAccess, credentialId: string, authorisedIds: Set<string | undefined>) {
  const credential = assertVisible(await readCredentialForSigning(portal.sql, credentialId), access, credentialId, authorisedIds);
  if (!authorisedIds.has(credentialId)) throw new PortalError('signing_credential_not_authorised', 403);
  if (credential.status === 'revoked' || credential.status === 'destroyed') throw new PortalError('signing_credential_revoked', 403);
  if (credential.status === 'retired') throw new PortalError('signing_credential_retired', 403);
  if (credential.status !== 'active') throw new PortalError('signing_credential_not_authorised', 403, 'credential not active');
  return credential;
}

function credentialInfo(
  credential: { id: string; status: string; keyAlgorithm: string; certificate: Uint8Array | null; chain: Uint8Array[] },
  status: SigningCertificateStatus,
  certificates: 'none' | 'single' | 'chain',
  certInfo: boolean,
  access: SigningAccess,
) {
  const cert = new x509.X509Certificate(new Uint8Array(credential.certificate!));
  const rsa = credential.keyAlgorithm.startsWith('RSA');
  const chain = certificates === 'none' ? [] : certificates === 'single' ? [credential.certificate!] : [credential.certificate!, ...credential.chain];
  const max = access.details.reduce((n, d) => n + (d.numSignatures ?? 0), 0);
  return {
    // key.status: whether the portal lets the key sign; cert.status: what the signing CA says, left
    // out when it cannot be established (CSC: return only a status that is accurate).
    key: { status: credential.status === 'active' ? 'enabled' : 'disabled', algo: rsa ? RSA_SIGN_ALGOS : EC_SIGN_ALGOS, len: rsa ? 2048 : 256, ...(rsa ? {} : { curve: '1.2.840.10045.3.1.7' }) },
    cert: {
      ...(status.status === 'unknown' ? {} : { status: status.status }),
      certificates: chain.map((c) => Buffer.from(c).toString('base64')),
      ...(certInfo
        ? { issuerDN: cert.issuer, serialNumber: cert.serialNumber, subjectDN: cert.subject, validFrom: cert.notBefore.toISOString(), validTo: cert.notAfter.toISOString() }
        : {}),
    },
    authMode: 'oauth2code',
    SCAL: '1',
    multisign: max || 1000,
    lang: 'ja-JP',
  };
}

async function signHash(
  portal: Portal,
  req: IncomingMessage,
  res: ServerResponse,
  access: SigningAccess,
  authorisedIds: Set<string | undefined>,
  signDigest: SignDigest,
) {
  const parsed = signHashSchema.safeParse(await readJsonBody(req));
  if (!parsed.success) throw new PortalError('signing_hash_invalid', 400, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
  const body = parsed.data;
  const credential = await signingCredential(portal, access, body.credentialID, authorisedIds);
  // The document type must be one the practitioner approved, and one remote signing allows at all.
  if (!access.details.some((d) => d.credentialID === credential.id && d.documentTypes.includes(body.documentType))) {
    throw new PortalError('signing_document_type_not_allowed', 403, body.documentType);
  }
  const hashAlgorithm = HASH_ALGORITHM_OIDS[body.hashAlgorithmOID as HashAlgorithmOid];
  if (!hashAlgorithm) throw new PortalError('signing_hash_invalid', 400, 'hash algorithm not supported');
  if (access.details.some((d) => d.hashAlgorithmOID && d.hashAlgorithmOID !== body.hashAlgorithmOID)) {
    throw new PortalError('signing_hash_invalid', 400, 'hash algorithm not the authorised one');
  }
  const allowedAlgos = credential.keyAlgorithm.startsWith('RSA') ? RSA_SIGN_ALGOS : EC_SIGN_ALGOS;
  if (!allowedAlgos.includes(body.signAlgo)) throw new PortalError('signing_hash_invalid', 400, 'signAlgo does not fit the key');
  const digests = body.hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
  if (digests.some((d) => d.length !== hashAlgorithm.length)) throw new PortalError('signing_hash_invalid', 400, `hashes must be ${hashAlgorithm.length} bytes`);
  // Read with the credential (its owner is this token's practitioner, checked above).
  if (credential.ownerLocked) throw new PortalError('practitioner_locked', 403);
  // The certificate as the signing CA sees it now; a status that cannot be established refuses (fail closed).
  const status = await certificateStatus(portal, credential.certificate!);
  if (status.status === 'expired') throw new PortalError('signing_certificate_expired', 400, `expired at ${status.notAfter.toISOString()}`);
  if (status.status === 'revoked') throw new PortalError('signing_certificate_revoked', 400, status.detail);
  if (status.status === 'unknown') throw new PortalError('signing_certificate_status_unknown', 503, `${status.code}: ${status.detail}`);
  // Counted before signing, atomically: revoked, expired or over the limit stops here.
  if (!(await reserveSignatures(portal.prisma, access.grantId, digests.length))) throw new PortalError('signing_not_authorised', 403);

  const signatures: string[] = [];
  for (const digest of digests) {
    signatures.push(Buffer.from(await signDigest(credential, hashAlgorithm.name, digest)).toString('base64'));
  }
  const ip = clientIp(req, portal.env.trustedProxies);
  for (const hash of body.hashes) {
    await portal.audit({
      event: 'signature',
      result: 'success',
      practitionerId: access.practitionerId,
      clientId: access.clientId,
      ip,
      details: { documentType: body.documentType, hash, hashAlgorithmOID: body.hashAlgorithmOID, credentialID: credential.id },
    });
  }
  sendJson(res, 200, { signatures });
}
