import { getTranslations } from 'next-intl/server';
import { Card, ErrorNotice } from '@/app/components/card';

export default async function NotFound() {
  const t = await getTranslations('errors');
  return (
    <Card>
      <ErrorNotice message={t('not_found')} code="not_found" />
    </Card>
  );
}
