import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';

/** Cookie of the portal's own session; `__Host-` is used when the portal is served over HTTPS. */
export function portalSessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-portal_session' : 'portal_session';
}

/** A portal session lasts no longer than the provider session behind it (12 h). */
export const PORTAL_SESSION_SECONDS = 12 * 3600;

const hash = (id: string) => crypto.createHash('sha256').update(id).digest('hex');

export interface PortalSessionView {
  practitionerId: string;
  authTime: Date;
  amr: string[];
  acr: string;
  idToken: string;
  sid: string | null;
}

export async function createPortalSession(prisma: Db, session: PortalSessionView): Promise<string> {
  const id = crypto.randomBytes(32).toString('base64url');
  await prisma.portalSession.create({
    data: { idHash: hash(id), ...session, expiresAt: new Date(Date.now() + PORTAL_SESSION_SECONDS * 1000) },
  });
  return id;
}

export async function findPortalSession(prisma: Db, id: string | undefined): Promise<(PortalSessionView & { idHash: string }) | null> {
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const row = await prisma.portalSession.findUnique({ where: { idHash: hash(id) } });
  if (!row || row.endedAt || row.expiresAt.getTime() <= Date.now()) return null;
  return row;
}

export async function endPortalSession(prisma: Db, id: string): Promise<void> {
  await prisma.portalSession.updateMany({ where: { idHash: hash(id), endedAt: null }, data: { endedAt: new Date() } });
}

/** Back-channel logout from the provider: every portal session of that provider session ends. */
export async function endPortalSessionsBySid(prisma: Db, sid: string): Promise<number> {
  const { count } = await prisma.portalSession.updateMany({ where: { sid, endedAt: null }, data: { endedAt: new Date() } });
  return count;
}

/** Whether the session's login used an HPKI card or certificate within `seconds` (SPEC §8, seed 001). */
export function hasRecentHpkiLogin(session: PortalSessionView, seconds = 300, now = Date.now()): boolean {
  return session.acr === 'urn:hpki-sso:acr:hpki:aal3' && now - session.authTime.getTime() <= seconds * 1000;
}

/**
 * Whether the session's login used a card within `seconds`: an HPKI card or certificate, or a linked
 * My Number Card (SPEC §8: what a device change needs).
 */
export function hasRecentCardLogin(session: PortalSessionView, seconds = 300, now = Date.now()): boolean {
  const card = session.acr === 'urn:hpki-sso:acr:hpki:aal3' || session.acr === 'urn:hpki-sso:acr:jpki:aal3';
  return card && now - session.authTime.getTime() <= seconds * 1000;
}
