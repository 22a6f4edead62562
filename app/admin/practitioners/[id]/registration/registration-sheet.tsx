'use client';
import { useState } from 'react';
import { useLocale, useTranslations } from 'next-intl';
import { ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { formatDateTime } from '../../../format';

interface Issued {
  url: string;
  qrDataUrl: string;
  expiresAt: string;
}

/** Issues the code and lays out the printable sheet: QR image, URL, expiry and the password hint. */
export function RegistrationSheet({ practitionerId, name, romanised, registrationNumber }: { practitionerId: string; name: string; romanised: string; registrationNumber: string }) {
  const t = useTranslations('admin');
  const locale = useLocale();
  const [issued, setIssued] = useState<Issued | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function issue() {
    if (!window.confirm(t('registration.confirm'))) return;
    setBusy(true);
    setError(null);
    try {
      setIssued(await postJson<Issued>(`/api/admin/practitioners/${practitionerId}/registration-code`));
    } catch (e) {
      setError(toApiError(e, String(e)));
    } finally {
      setBusy(false);
    }
  }

  if (!issued) {
    return (
      <div className="mt-4 space-y-3 print:hidden">
        <button className={buttonClass} onClick={issue} disabled={busy} data-testid="registration-issue">
          {t('registration.issue')}
        </button>
        {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
      </div>
    );
  }
  const expires = formatDateTime(issued.expiresAt, locale);
  return (
    <div className="mt-4 space-y-4">
      <section className="rounded-lg border border-slate-300 p-6 print:border-0" data-testid="registration-sheet">
        <h2 className="text-xl font-bold">{t('registration.sheetTitle')}</h2>
        <p className="mt-2 text-lg">
          {name} <span className="text-slate-600">({romanised})</span>
        </p>
        <p className="text-slate-700">{t('registration.number', { number: registrationNumber })}</p>
        {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL made by the server */}
        <img src={issued.qrDataUrl} alt={t('registration.qrAlt')} className="mt-4 h-56 w-56" data-testid="registration-qr" />
        <p className="mt-2 break-all font-mono text-sm" data-testid="registration-url">
          {issued.url}
        </p>
        <p className="mt-3 font-semibold" data-testid="registration-expiry">
          {t('registration.expires', { date: expires })}
        </p>
        <p className="mt-2" data-testid="registration-hint">
          {t('registration.passwordHint')}
        </p>
        <p className="mt-2 text-sm text-slate-700">{t('registration.rules')}</p>
      </section>
      <button className={`${secondaryButtonClass} print:hidden`} onClick={() => window.print()} data-testid="registration-print">
        {t('registration.print')}
      </button>
    </div>
  );
}
