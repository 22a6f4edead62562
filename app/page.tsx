import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';

/** The portal's front page; the logged-in home with linked services comes with the portal issue. */
export default async function HomePage() {
  const t = await getTranslations('home');
  return (
    <div className="space-y-6">
      <Card>
        <h1 className="text-2xl font-bold">{t('title')}</h1>
        <p className="mt-3 text-slate-700">{t('intro')}</p>
        <ul className="mt-4 list-disc pl-6 text-slate-700">
          <li>{t('methodHpki')}</li>
          <li>{t('methodMnc')}</li>
          <li>{t('methodPasskey')}</li>
        </ul>
        <p className="mt-4 text-slate-600">{t('howToStart')}</p>
      </Card>
    </div>
  );
}
