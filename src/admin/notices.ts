import { z } from 'zod';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { hcRoleDisplayNames } from '../pki/hcrole/index.ts';
import { acceptedHcRoles } from '../pki/hcrole/index.ts';
import { parseStoredHcRoles } from '../practitioners/practitioner.ts';

/**
 * Notices (seed 004: the SSO portal's お知らせ): written in the console, shown on the portal home
 * to their audience — everyone, holders of one qualification (hcRole), or administrators —
 * between their start and end. Plain text, shown as written.
 */
export const NOTICE_AUDIENCES = ['all', 'role', 'admins'] as const;
export type NoticeAudience = (typeof NOTICE_AUDIENCES)[number];

const instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/** The console's form, as JSON: dates are ISO instants (the page converts Japan-time input). */
export const noticeInputSchema = z
  .object({
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().min(1).max(5000),
    startsAt: instant,
    endsAt: instant,
    audience: z.enum(NOTICE_AUDIENCES),
    hcRole: z.string().max(200).nullish(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.endsAt <= v.startsAt) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
    if (v.audience === 'role' && !(v.hcRole && Object.hasOwn(hcRoleDisplayNames, v.hcRole))) ctx.addIssue({ code: 'custom', path: ['hcRole'], message: 'a known qualification is required' });
  })
  .transform((v) => ({ ...v, hcRole: v.audience === 'role' ? v.hcRole! : null }));
export type NoticeInput = z.infer<typeof noticeInputSchema>;

export function listNotices(prisma: Db) {
  return prisma.notice.findMany({ orderBy: [{ startsAt: 'desc' }, { createdAt: 'desc' }], take: 500 });
}

export function findNotice(prisma: Db, id: string) {
  return prisma.notice.findUnique({ where: { id } });
}

export function createNotice(prisma: Db, input: NoticeInput, adminId: string) {
  return prisma.notice.create({ data: { ...input, createdBy: adminId } });
}

export async function updateNotice(prisma: Db, id: string, input: NoticeInput) {
  const { count } = await prisma.notice.updateMany({ where: { id }, data: input });
  if (!count) throw new PortalError('admin_notice_not_found', 404);
  return (await findNotice(prisma, id))!;
}

export async function deleteNotice(prisma: Db, id: string) {
  const { count } = await prisma.notice.deleteMany({ where: { id } });
  if (!count) throw new PortalError('admin_notice_not_found', 404);
}

/** What a notice's audit entry records: which notice and for whom, not its text. */
export function noticeAuditDetails(n: { id: string; audience: string; hcRole: string | null; startsAt: Date; endsAt: Date }) {
  return { noticeId: n.id, audience: n.audience, hcRole: n.hcRole, startsAt: n.startsAt.toISOString(), endsAt: n.endsAt.toISOString() };
}

/** The notices a practitioner sees now on the portal home: within their dates and meant for them. */
export async function currentNoticesFor(prisma: Db, practitioner: { isAdmin: boolean; hcRoles: unknown }, now = new Date()) {
  const roles = acceptedHcRoles(parseStoredHcRoles(practitioner.hcRoles)).map((r) => r.role);
  return prisma.notice.findMany({
    where: {
      startsAt: { lte: now },
      endsAt: { gt: now },
      OR: [{ audience: 'all' }, ...(roles.length ? [{ audience: 'role', hcRole: { in: roles } }] : []), ...(practitioner.isAdmin ? [{ audience: 'admins' }] : [])],
    },
    orderBy: [{ startsAt: 'desc' }, { createdAt: 'desc' }],
    take: 20,
  });
}
