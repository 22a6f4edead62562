import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { x509 } from '../pki/x509.ts';
import { signingDetailSchema, type SigningDetail } from './signing-authorisation-details.ts';
import { MAX_SIGNING_HOURS } from './signing-authorisations.ts';

/** The practitioner's usable second certificate, or null. */
export async function activeSigningCredential(prisma: Db, practitionerId: string) {
  const credential = await prisma.signingCredential.findUnique({ where: { practitionerId } });
  return credential && credential.status === 'active' && credential.certificate ? credential : null;
}

/** What the consent page shows about a remote-signing request. */
export async function describeSigningRequest(prisma: Db, practitionerId: string, rar: unknown[], signingHours: number) {
  const details = rar.map((d) => signingDetailSchema.parse(d));
  const credential = await activeSigningCredential(prisma, practitionerId);
  const seconds = Math.min(signingHours, MAX_SIGNING_HOURS) * 3600;
  const validity = Math.min(seconds, ...details.map((d) => d.validity ?? seconds));
  let certificate = null;
  if (credential) {
    const cert = new x509.X509Certificate(new Uint8Array(credential.certificate!));
    certificate = { subject: cert.subject, issuer: cert.issuer, notBefore: cert.notBefore.toISOString(), notAfter: cert.notAfter.toISOString() };
  }
  const wrongCredential = details.some((d) => d.credentialID && d.credentialID !== credential?.id);
  return {
    credentialId: credential?.id ?? null,
    certificate,
    problem: !credential ? ('signing_credential_missing' as const) : wrongCredential ? ('signing_credential_mismatch' as const) : null,
    documentTypes: [...new Set(details.flatMap((d) => d.documentTypes))],
    numSignatures: details.every((d) => d.numSignatures) ? details.reduce((n, d) => n + (d.numSignatures ?? 0), 0) : null,
    until: new Date(Date.now() + validity * 1000).toISOString(),
  };
}

/**
 * The details the practitioner approves: "my second certificate" becomes their credential's ID,
 * and the validity is capped at the configured window. Refuses a request for someone else's key.
 */
export async function approvedSigningDetails(prisma: Db, practitionerId: string, rar: unknown[], signingHours: number): Promise<SigningDetail[]> {
  const credential = await activeSigningCredential(prisma, practitionerId);
  if (!credential) throw new PortalError('signing_credential_missing', 409);
  const seconds = Math.min(signingHours, MAX_SIGNING_HOURS) * 3600;
  return rar.map((raw) => {
    const detail = signingDetailSchema.parse(raw);
    if (detail.credentialID && detail.credentialID !== credential.id) throw new PortalError('signing_credential_mismatch', 403);
    const { signatureQualifier: _own, ...rest } = detail;
    return { ...rest, credentialID: credential.id, validity: Math.min(detail.validity ?? seconds, seconds) };
  });
}
