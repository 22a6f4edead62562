import { getTranslations } from 'next-intl/server';
import { runningPortal } from '@/src/portal/portal';

/** On every page while demo mode is on: test keys, never real data (SPEC §12). */
export async function DemoBanner() {
  if (!runningPortal()?.env.demo) return null;
  const t = await getTranslations('common');
  return (
    <div role="note" className="bg-amber-100 border-b border-amber-300 text-amber-950" data-testid="demo-banner">
      <p className="mx-auto max-w-3xl px-4 py-2 text-sm font-semibold">{t('demoBanner')}</p>
    </div>
  );
}
