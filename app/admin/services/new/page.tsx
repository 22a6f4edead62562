import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';
import { AdminForbidden, AdminNav } from '../../admin-nav';
import { requireAdminPage } from '../../admin-guard';
import { ServiceEditor } from '../service-editor';
import { editorChoices } from '../editor-choices';

export const dynamic = 'force-dynamic';

/** Registers a new linked service (a regional network's EHR): the secret is shown once, here. */
export default async function NewServicePage() {
  if (!(await requireAdminPage('/admin/services/new'))) return <AdminForbidden />;
  const t = await getTranslations('admin');
  return (
    <div className="space-y-6">
      <AdminNav current="services" />
      <Card testId="admin-service-new">
        <h1 className="text-2xl font-bold">{t('services.newTitle')}</h1>
        <p className="mt-2 text-slate-700">{t('services.newIntro')}</p>
        <ServiceEditor mode="create" choices={editorChoices()} />
      </Card>
    </div>
  );
}
