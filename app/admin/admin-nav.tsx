import { getTranslations } from 'next-intl/server';
import { Card } from '@/app/components/card';

const SECTIONS = ['services', 'practitioners', 'notices', 'trust', 'audit'] as const;

/** The console's sections; the current one is marked for screen readers too. */
export async function AdminNav({ current }: { current?: (typeof SECTIONS)[number] }) {
  const t = await getTranslations('admin');
  return (
    <nav aria-label={t('navLabel')} className="flex flex-wrap gap-2 text-sm" data-testid="admin-nav">
      <a href="/admin" className="rounded-lg px-3 py-2 font-semibold text-sky-900 hover:bg-sky-50">
        {t('title')}
      </a>
      {SECTIONS.map((s) => (
        <a
          key={s}
          href={`/admin/${s}`}
          aria-current={current === s ? 'page' : undefined}
          className={`rounded-lg px-3 py-2 ${current === s ? 'bg-sky-700 text-white' : 'text-sky-900 hover:bg-sky-50'}`}
          data-testid={`admin-nav-${s}`}
        >
          {t(`nav.${s}`)}
        </a>
      ))}
    </nav>
  );
}

export async function AdminForbidden() {
  const t = await getTranslations('admin');
  return (
    <Card testId="admin-forbidden">
      <h1 className="text-2xl font-bold">{t('forbiddenTitle')}</h1>
      <p className="mt-3 text-slate-700">{t('forbidden')}</p>
      <a className="mt-4 inline-block text-sky-800 underline" href="/">
        {t('backHome')}
      </a>
    </Card>
  );
}
