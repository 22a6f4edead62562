import { z } from 'zod';
import { x509 } from '../pki/x509.ts';
import type { Db } from '../db/current.ts';

export const EXPIRING_DEFAULT_DAYS = 60;
const MAX_ROWS = 500;
const DAY_MS = 86_400_000;

/** The view's query string: the window in days (default 60). */
export const expiringQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(3650).catch(EXPIRING_DEFAULT_DAYS).default(EXPIRING_DEFAULT_DAYS) });

/**
 * What expires: the HPKI card's certificates (authentication, signing), the second certificate
 * (the current remote-signing credential) and the linked My Number Card's certificate.
 */
export type ExpiringKind = 'authentication' | 'signing' | 'second' | 'mnc';

export interface ExpiringCertificate {
  /** Unique per row: the certificate's fingerprint, the credential id or the card link's fingerprint. */
  key: string;
  kind: ExpiringKind;
  issuer: string;
  serialNumber: string | null;
  notAfter: Date;
  /** Whole days left, rounded down: "0" means it expires within the day. */
  daysLeft: number;
  practitionerId: string;
}

/**
 * Certificates that expire after `now` and within `days`, soonest first, optionally of one
 * practitioner. An HPKI certificate already followed by a later one of the same kind (a renewed
 * card, seen at login or imported) is left out; only current second certificates count (a retired
 * or revoked one no longer signs); a My Number Card link made before expiries were recorded has
 * none and is not listed.
 */
export async function findExpiringCertificates(prisma: Db, { days, now, practitionerId }: { days: number; now: Date; practitionerId?: string }): Promise<{ rows: ExpiringCertificate[]; truncated: boolean }> {
  const until = new Date(now.getTime() + days * DAY_MS);
  const daysLeft = (d: Date) => Math.floor((d.getTime() - now.getTime()) / DAY_MS);
  const who = practitionerId ? { practitionerId } : {};
  const hpki = await prisma.practitionerCertificate.findMany({
    where: { ...who, notAfter: { gt: now, lte: until } },
    orderBy: [{ notAfter: 'asc' }, { fingerprint: 'asc' }],
    take: MAX_ROWS,
  });
  const renewals = hpki.length
    ? await prisma.practitionerCertificate.findMany({
        where: { practitionerId: { in: [...new Set(hpki.map((r) => r.practitionerId))] }, notAfter: { gt: until } },
        select: { practitionerId: true, kind: true },
      })
    : [];
  const renewed = new Set(renewals.map((r) => `${r.practitionerId} ${r.kind}`));
  const rows: ExpiringCertificate[] = hpki
    .filter((r) => !renewed.has(`${r.practitionerId} ${r.kind}`))
    .map((r) => ({ key: r.fingerprint, kind: r.kind as 'authentication' | 'signing', issuer: r.issuer, serialNumber: r.serialNumber, notAfter: r.notAfter, daysLeft: daysLeft(r.notAfter), practitionerId: r.practitionerId }));

  // The certificate is stored as DER, its expiry is read from it; one current credential a person.
  const credentials = await prisma.signingCredential.findMany({
    where: { ...(practitionerId ? { practitionerId } : { practitionerId: { not: null } }), status: 'active', certificate: { not: null } },
    select: { id: true, practitionerId: true, certificate: true },
  });
  for (const c of credentials) {
    const cert = new x509.X509Certificate(new Uint8Array(c.certificate!));
    if (cert.notAfter > now && cert.notAfter <= until) {
      rows.push({ key: c.id, kind: 'second', issuer: cert.issuer, serialNumber: cert.serialNumber, notAfter: cert.notAfter, daysLeft: daysLeft(cert.notAfter), practitionerId: c.practitionerId! });
    }
  }

  const cards = await prisma.myNumberCardLink.findMany({ where: { ...who, notAfter: { gt: now, lte: until } }, orderBy: { notAfter: 'asc' }, take: MAX_ROWS });
  for (const m of cards) {
    rows.push({ key: m.fingerprint, kind: 'mnc', issuer: m.jpkiIssuer, serialNumber: null, notAfter: m.notAfter!, daysLeft: daysLeft(m.notAfter!), practitionerId: m.practitionerId });
  }
  rows.sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime() || a.key.localeCompare(b.key));
  return { rows: rows.slice(0, MAX_ROWS), truncated: hpki.length === MAX_ROWS || cards.length === MAX_ROWS || rows.length > MAX_ROWS };
}

/**
 * The console's list: practitioners whose certificates expire within `days`, soonest first —
 * the card or certificate has to be renewed, and a practitioner without a registered device loses
 * their only way in.
 */
export async function listExpiringCertificates(prisma: Db, { days = EXPIRING_DEFAULT_DAYS, now = new Date() }: { days?: number; now?: Date } = {}) {
  const until = new Date(now.getTime() + days * DAY_MS);
  const { rows, truncated } = await findExpiringCertificates(prisma, { days, now });
  const people = await prisma.practitioner.findMany({
    where: { id: { in: [...new Set(rows.map((r) => r.practitionerId))] } },
    include: { passkey: { select: { createdAt: true } } },
  });
  const byId = new Map(people.map((p) => [p.id, p]));
  const certificates = rows.map((r) => {
    const p = byId.get(r.practitionerId)!;
    return {
      fingerprint: r.key,
      kind: r.kind,
      issuer: r.issuer,
      serialNumber: r.serialNumber,
      notAfter: r.notAfter,
      daysLeft: r.daysLeft,
      practitioner: {
        id: p.id,
        registrationNumber: p.registrationNumber,
        name: `${p.givenName} ${p.familyName}`.trim(),
        nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null,
        lockedAt: p.lockedAt,
        hasDevice: p.passkey !== null,
      },
    };
  });
  return { days, until, certificates, truncated };
}
