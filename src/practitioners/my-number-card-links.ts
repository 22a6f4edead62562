import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';

/** The card a My Number Card login proved (src/auth/methods/jpki/jpki-proof.ts): no name or address, only the certificate's identity. */
export interface MyNumberCardIdentity {
  fingerprint: string;
  issuer: string;
  /** The subject of the user-authentication certificate: an opaque ID. */
  subject: string;
  /** The certificate's expiry (the expiry notices); absent only where a caller cannot know it. */
  notAfter?: Date | null;
}

/**
 * One My Number Card per practitioner. A renewed card has a new certificate and needs a new link;
 * linking replaces the previous one — except with `firstOnly` (the registration code, which proves
 * less than a fresh HPKI login: it may make the first link, never replace one). A card already
 * linked to someone else is refused.
 */
export async function linkMyNumberCard(prisma: Db, practitionerId: string, card: MyNumberCardIdentity, options: { firstOnly?: boolean } = {}) {
  return prisma.$transaction(async (tx) => {
    const existing = await tx.myNumberCardLink.findUnique({ where: { fingerprint: card.fingerprint } });
    if (existing && existing.practitionerId !== practitionerId) throw new PortalError('jpki_linked_elsewhere', 409);
    if (options.firstOnly && (await tx.myNumberCardLink.findUnique({ where: { practitionerId } }))) throw new PortalError('jpki_link_exists', 409);
    const replaced = await tx.myNumberCardLink.deleteMany({ where: { practitionerId } });
    await tx.myNumberCardLink.create({
      data: { fingerprint: card.fingerprint, practitionerId, jpkiIssuer: card.issuer, jpkiSubject: card.subject, notAfter: card.notAfter ?? null },
    });
    return { replaced: replaced.count > 0 };
  });
}

export async function unlinkMyNumberCard(prisma: Db, practitionerId: string): Promise<boolean> {
  const { count } = await prisma.myNumberCardLink.deleteMany({ where: { practitionerId } });
  return count > 0;
}

export function findMyNumberCardLink(prisma: Db, practitionerId: string) {
  return prisma.myNumberCardLink.findUnique({ where: { practitionerId } });
}
