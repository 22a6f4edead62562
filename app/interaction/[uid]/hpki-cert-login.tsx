'use client';
import { useTranslations } from 'next-intl';
import { rememberMethod } from './login-choice';
import { buttonClass } from '@/app/components/card';

/**
 * HPKI authentication certificate over TLS: a plain navigation to the listener that asks the browser
 * for a client certificate (the OS middleware asks the card PIN). The server answers with the next
 * step of the login or with a page that explains what went wrong.
 */
export function HpkiCertLogin({ url }: { url: string }) {
  const t = useTranslations('login.hpkiCert');
  return (
    <div className="rounded-lg border border-slate-200 p-4" data-testid="hpki-cert-section">
      <h2 className="text-lg font-semibold">{t('title')}</h2>
      <p className="mt-1 text-slate-600">{t('description')}</p>
      <a className={`${buttonClass} mt-3`} href={url} onClick={() => rememberMethod('hpki-cert')} data-testid="hpki-cert-login">
        {t('button')}
      </a>
    </div>
  );
}
