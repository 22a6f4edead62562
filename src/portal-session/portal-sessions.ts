import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { acrsOf } from '../auth/methods/registry.ts';
import { dailyWindowEnd, type DailyWindow } from '../config/daily-window.ts';

/** Cookie of the portal's own session; `__Host-` is used when the portal is served over HTTPS. */
export function portalSessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-portal_session' : 'portal_session';
}

/**
 * The two limits of every portal session (SPEC §12): the daily window (DAILY_WINDOW; without it,
 * sessionMaxSeconds from the authentication) and SESSION_IDLE_MINUTES.
 */
export interface SessionLimits {
  dailyWindow?: DailyWindow;
  sessionMaxSeconds: number;
  sessionIdleSeconds: number;
}

/** Where a session that started at `authTime` ends: the end of the login's daily window, as the SSO session does. */
export function sessionEnd(authTime: Date, limits: SessionLimits): Date {
  return limits.dailyWindow ? dailyWindowEnd(limits.dailyWindow, authTime) : new Date(authTime.getTime() + limits.sessionMaxSeconds * 1000);
}

/** How often the last-seen time is written: idle is measured to within this. */
const LAST_SEEN_RESOLUTION_MS = 30_000;

export type SessionEndReason = 'logout' | 'idle' | 'expired' | 'backchannel' | 'admin' | 'device_change';

const hash = (id: string) => crypto.createHash('sha256').update(id).digest('hex');

export interface PortalSessionView {
  practitionerId: string;
  authTime: Date;
  amr: string[];
  acr: string;
  sid: string | null;
}

/** Seconds left of a session that started at `authTime` (never extended by use). */
export function secondsLeft(authTime: Date, limits: SessionLimits, now = Date.now()): number {
  return Math.max(0, Math.floor((sessionEnd(authTime, limits).getTime() - now) / 1000));
}

export async function createPortalSession(prisma: Db, session: PortalSessionView, limits: SessionLimits): Promise<string> {
  const id = crypto.randomBytes(32).toString('base64url');
  // Counted from the authentication, not from now: a portal session opened late in an SSO session ends with it.
  const expiresAt = sessionEnd(session.authTime, limits);
  await prisma.portalSession.create({ data: { idHash: hash(id), ...session, expiresAt } });
  return id;
}

export type PortalSessionLookup =
  | { session: PortalSessionView & { idHash: string }; ended: null }
  /** No live session; `ended` says why the one the cookie names ended, if it names one. */
  | { session: null; ended: SessionEndReason | null };

/**
 * The live session a cookie names. A session idle longer than the limit ends here, for good: the
 * next login must be a fresh authentication (see /portal/login). Use refreshes the last-seen time,
 * never the end.
 */
export async function lookupPortalSession(prisma: Db, id: string | undefined, limits: SessionLimits, now = Date.now()): Promise<PortalSessionLookup> {
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return { session: null, ended: null };
  const row = await prisma.portalSession.findUnique({ where: { idHash: hash(id) } });
  if (!row) return { session: null, ended: null };
  if (row.endedAt) return { session: null, ended: (row.endReason as SessionEndReason | null) ?? 'logout' };
  if (row.expiresAt.getTime() <= now) return { session: null, ended: 'expired' };
  if (now - row.lastSeenAt.getTime() > limits.sessionIdleSeconds * 1000) {
    await prisma.portalSession.updateMany({ where: { idHash: row.idHash, endedAt: null }, data: { endedAt: new Date(now), endReason: 'idle' } });
    return { session: null, ended: 'idle' };
  }
  if (now - row.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await prisma.portalSession.updateMany({ where: { idHash: row.idHash, endedAt: null }, data: { lastSeenAt: new Date(now) } });
  }
  return { session: row, ended: null };
}

export async function findPortalSession(prisma: Db, id: string | undefined, limits: SessionLimits): Promise<(PortalSessionView & { idHash: string }) | null> {
  return (await lookupPortalSession(prisma, id, limits)).session;
}

export async function endPortalSession(prisma: Db, id: string, reason: SessionEndReason = 'logout'): Promise<void> {
  await prisma.portalSession.updateMany({ where: { idHash: hash(id), endedAt: null }, data: { endedAt: new Date(), endReason: reason } });
}

/** Back-channel logout from the provider: every portal session of that provider session ends. */
export async function endPortalSessionsBySid(prisma: Db, sid: string): Promise<number> {
  const { count } = await prisma.portalSession.updateMany({ where: { sid, endedAt: null }, data: { endedAt: new Date(), endReason: 'backchannel' } });
  return count;
}

/** Whether the session's login used an HPKI card or certificate within `seconds` (SPEC §8, seed 001). */
export function hasRecentHpkiLogin(session: PortalSessionView, seconds = 300, now = Date.now()): boolean {
  return acrsOf('hpki-certificate').includes(session.acr) && now - session.authTime.getTime() <= seconds * 1000;
}

/**
 * Whether the session's login used a card within `seconds`: an HPKI card or certificate, or a linked
 * My Number Card (SPEC §8: what a device change needs).
 */
export function hasRecentCardLogin(session: PortalSessionView, seconds = 300, now = Date.now()): boolean {
  const card = acrsOf('hpki-certificate', 'my-number-card').includes(session.acr);
  return card && now - session.authTime.getTime() <= seconds * 1000;
}
