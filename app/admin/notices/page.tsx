import { getLocale, getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { listNotices } from '@/src/admin/notices';
import { AdminForbidden, AdminNav } from '../admin-nav';
import { requireAdminPage } from '../admin-guard';
import { AdminTime } from '../admin-time';
import { NoticeForm } from './notice-form';
import { noticeRoleLabel, noticeRoleOptions } from './notice-roles';

export const dynamic = 'force-dynamic';

/** Notices for the portal home (seed 004: お知らせ): the list with each one's state, and a new one. */
export default async function AdminNoticesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  if (!(await requireAdminPage('/admin/notices'))) return <AdminForbidden />;
  const params = await searchParams;
  const t = await getTranslations('admin.notices');
  const locale = await getLocale();
  const notices = await listNotices(db());
  const now = new Date();
  const state = (n: { startsAt: Date; endsAt: Date }) => (n.endsAt <= now ? 'ended' : n.startsAt > now ? 'scheduled' : 'showing');
  const th = 'px-2 py-2 font-semibold whitespace-nowrap';
  const td = 'px-2 py-2 align-top';
  return (
    <div className="space-y-6">
      <AdminNav current="notices" />
      <Card testId="admin-notices">
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-1 text-slate-700">{t('intro')}</p>
        {params.saved ? (
          <p role="status" className="mt-3 text-emerald-800" data-testid="notice-created">
            {t('created')}
          </p>
        ) : null}
        {params.deleted ? (
          <p role="status" className="mt-3 text-emerald-800" data-testid="notice-deleted">
            {t('deleted')}
          </p>
        ) : null}
        {notices.length === 0 ? (
          <p className="mt-4" data-testid="notices-none">
            {t('none')}
          </p>
        ) : (
          <div className="mt-4 overflow-x-auto" tabIndex={0} role="region" aria-label={t('title')}>
            <table className="w-full min-w-[44rem] text-left text-sm">
              <thead>
                <tr className="border-b border-slate-300 bg-slate-50">
                  <th scope="col" className={th}>{t('titleField')}</th>
                  <th scope="col" className={th}>{t('audience')}</th>
                  <th scope="col" className={th}>{t('startsAt')}</th>
                  <th scope="col" className={th}>{t('endsAt')}</th>
                  <th scope="col" className={th}>{t('state')}</th>
                </tr>
              </thead>
              <tbody>
                {notices.map((n) => (
                  <tr key={n.id} className="border-b border-slate-100" data-testid="notice-row">
                    <td className={`${td} font-semibold`}>
                      <a className="text-sky-900 underline" href={`/admin/notices/${n.id}`} data-testid="notice-edit-link">
                        {n.title}
                      </a>
                    </td>
                    <td className={td}>{n.audience === 'role' ? noticeRoleLabel(n.hcRole, locale) : t(`audienceLabel.${n.audience as 'all' | 'admins'}`)}</td>
                    <td className={`${td} whitespace-nowrap`}>
                      <AdminTime value={n.startsAt} locale={locale} />
                    </td>
                    <td className={`${td} whitespace-nowrap`}>
                      <AdminTime value={n.endsAt} locale={locale} />
                    </td>
                    <td className={`${td} whitespace-nowrap`} data-testid="notice-state">
                      {t(`stateLabel.${state(n)}`)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card testId="admin-notice-new">
        <h2 className="text-xl font-semibold">{t('new')}</h2>
        <NoticeForm
          roles={noticeRoleOptions(locale)}
          value={{ title: '', body: '', startsAt: now.toISOString(), endsAt: new Date(now.getTime() + 30 * 86_400_000).toISOString(), audience: 'all', hcRole: null }}
        />
      </Card>
    </div>
  );
}
