'use client';
import { usePathname } from 'next/navigation';
import { useTranslations } from 'next-intl';

/** After a session ended (idle, or gone): back to the login, then to this very page. */
export function ReloginLink() {
  const t = useTranslations('common');
  const here = usePathname() ?? '/';
  return (
    <a className="mt-2 inline-block font-semibold underline" href={`/portal/login?return=${encodeURIComponent(here)}`} data-testid="relogin">
      {t('loginAgain')}
    </a>
  );
}
