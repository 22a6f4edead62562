import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { x509 } from '../pki/x509.ts';
import { signingDetailSchema, type SigningDetail } from './signing-authorisation-details.ts';
import { MAX_SIGNING_HOURS } from './signing-authorisations.ts';
import { dailyWindowEnd, dailyWindowMaxSeconds, type DailyWindow } from '../config/daily-window.ts';

/** The practitioner's usable second certificate, or null. */
export async function activeSigningCredential(prisma: Db, practitionerId: string) {
  const credential = await prisma.signingCredential.findUnique({ where: { practitionerId } });
  return credential && credential.status === 'active' && credential.certificate ? credential : null;
}

/**
 * What the consent page shows about a remote-signing request. `until` is where the authorisation
 * will end: the end of the daily window of the login (`authTime`, epoch seconds) — the instant the
 * SSO session ends too — or sooner when the EHR asked for less.
 */
export async function describeSigningRequest(prisma: Db, practitionerId: string, rar: unknown[], window: DailyWindow, authTime?: number, now = Date.now()) {
  const details = rar.map((d) => signingDetailSchema.parse(d));
  const credential = await activeSigningCredential(prisma, practitionerId);
  const windowEnd = authTime ? dailyWindowEnd(window, authTime * 1000).getTime() : now + dailyWindowMaxSeconds(window) * 1000;
  const end = Math.min(windowEnd, now + MAX_SIGNING_HOURS * 3600 * 1000, ...details.map((d) => (d.validity ? now + d.validity * 1000 : Number.POSITIVE_INFINITY)));
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
    until: new Date(end).toISOString(),
  };
}

/**
 * The details the practitioner approves: "my second certificate" becomes their credential's ID,
 * and the validity is capped at the configured window. Refuses a request for someone else's key.
 */
export async function approvedSigningDetails(prisma: Db, practitionerId: string, rar: unknown[], window: DailyWindow): Promise<SigningDetail[]> {
  const credential = await activeSigningCredential(prisma, practitionerId);
  if (!credential) throw new PortalError('signing_credential_missing', 409);
  // The token's lifetime is cut at the window's end when it is issued (signingTokenSeconds).
  const seconds = Math.min(dailyWindowMaxSeconds(window), MAX_SIGNING_HOURS * 3600);
  return rar.map((raw) => {
    const detail = signingDetailSchema.parse(raw);
    if (detail.credentialID && detail.credentialID !== credential.id) throw new PortalError('signing_credential_mismatch', 403);
    const { signatureQualifier: _own, ...rest } = detail;
    return { ...rest, credentialID: credential.id, validity: Math.min(detail.validity ?? seconds, seconds) };
  });
}
