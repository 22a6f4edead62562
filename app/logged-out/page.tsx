import { getTranslations } from 'next-intl/server';
import { Card, buttonClass } from '@/app/components/card';

export const dynamic = 'force-dynamic';

/** After the portal's logout: every session of this browser has ended (SPEC §12). */
export default async function LoggedOutPage() {
  const t = await getTranslations('loggedOut');
  return (
    <Card testId="logged-out">
      <h1 className="text-2xl font-bold">{t('title')}</h1>
      <p className="mt-3" data-testid="logged-out-body">
        {t('body')}
      </p>
      <p className="mt-2 text-slate-700">{t('sharedTerminal')}</p>
      <a className={`${buttonClass} mt-6`} href="/portal/login" data-testid="portal-login">
        {t('loginAgain')}
      </a>
    </Card>
  );
}
