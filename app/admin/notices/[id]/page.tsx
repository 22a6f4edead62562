import { notFound } from 'next/navigation';
import { getLocale, getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { db } from '@/src/db/current';
import { findNotice } from '@/src/admin/notices';
import { AdminForbidden, AdminNav } from '../../admin-nav';
import { requireAdminPage } from '../../admin-guard';
import { DeleteNotice, NoticeForm } from '../notice-form';
import { noticeRoleOptions } from '../notice-roles';

export const dynamic = 'force-dynamic';

/** One notice: edit or delete it. */
export default async function AdminNoticePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!(await requireAdminPage(`/admin/notices/${id}`))) return <AdminForbidden />;
  if (!/^[0-9a-f-]{36}$/i.test(id)) notFound();
  const notice = await findNotice(db(), id);
  if (!notice) notFound();
  const t = await getTranslations('admin.notices');
  const locale = await getLocale();
  return (
    <div className="space-y-6">
      <AdminNav current="notices" />
      <Card testId="admin-notice-edit">
        <h1 className="text-2xl font-bold">{t('edit')}</h1>
        <NoticeForm
          roles={noticeRoleOptions(locale)}
          value={{
            id: notice.id,
            title: notice.title,
            body: notice.body,
            startsAt: notice.startsAt.toISOString(),
            endsAt: notice.endsAt.toISOString(),
            audience: notice.audience as 'all' | 'role' | 'admins',
            hcRole: notice.hcRole,
          }}
        />
        <DeleteNotice id={notice.id} title={notice.title} />
      </Card>
    </div>
  );
}
