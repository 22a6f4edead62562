'use client';
import { useState } from 'react';
import { useLocale, useTranslations } from 'next-intl';
import { formatJapanTime } from '@/src/i18n/format-time';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { useHydrated } from '@/app/components/use-hydrated';

interface Issued {
  url: string;
  qrDataUrl: string;
  expiresAt: string;
}

/** Seed 001 A4: a new registration QR on this screen at once; every earlier code stops working. */
export function RegistrationReissue() {
  const hydrated = useHydrated();
  const t = useTranslations();
  const locale = useLocale();
  const [issued, setIssued] = useState<Issued | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function reissue() {
    setBusy(true);
    setError(null);
    try {
      setIssued(await postJson<Issued>('/api/devices/registration-code'));
    } catch (e) {
      setError(toApiError(e, t('errors.internal_error')));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="mt-4 space-y-3">
      <button className={buttonClass} onClick={reissue} disabled={busy || !hydrated} data-testid="reissue-button">
        {t('devices.reissueButton')}
      </button>
      {issued ? (
        <div className="space-y-3" data-testid="reissue-result">
          <p className="font-semibold">{t('devices.reissueShown')}</p>
          <img src={issued.qrDataUrl} alt={t('devices.reissueQrAlt')} width={280} height={280} className="rounded border border-slate-200" data-testid="reissue-qr" />
          <p className="break-all rounded bg-slate-100 p-2 font-mono text-sm" data-testid="reissue-url">
            {issued.url}
          </p>
          <p data-testid="reissue-expires">{t('devices.reissueExpires', { date: formatJapanTime(issued.expiresAt, locale) })}</p>
        </div>
      ) : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
