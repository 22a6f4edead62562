'use client';
import { useEffect, useState } from 'react';
import { useTranslations } from 'next-intl';
import { ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { useHydrated } from '@/app/components/use-hydrated';

export interface AuthorisationRow {
  grantId: string;
  service: string;
  documentTypes: string[];
  expiresAt: string;
  /** The expiry in Japan time, formatted on the server (src/i18n/format-time). */
  expiresLabel: string;
  signatures: number;
  maxSignatures: number | null;
}

function remaining(expiresAt: string, now: number) {
  const seconds = Math.max(0, Math.floor((new Date(expiresAt).getTime() - now) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/**
 * Active remote-signing authorisations with a live countdown; revoking stops signing at once.
 * The first render counts from the server's `renderedAt`, so the hydrating client renders the same
 * text as the server (React #418 otherwise); the clock takes over after hydration.
 */
export function SigningAuthorisations({ rows, renderedAt }: { rows: AuthorisationRow[]; renderedAt: number }) {
  const hydrated = useHydrated();
  const t = useTranslations('home');
  const tc = useTranslations('signingConsent');
  const [now, setNow] = useState(renderedAt);
  const [list, setList] = useState(rows);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  async function revoke(grantId: string) {
    try {
      await postJson(`/api/signing/authorisations/${encodeURIComponent(grantId)}/revoke`);
      setList((l) => l.filter((r) => r.grantId !== grantId));
    } catch (e) {
      setError(toApiError(e, String(e)));
    }
  }

  const active = list.filter((r) => new Date(r.expiresAt).getTime() > now);
  if (active.length === 0) return <p className="mt-2 text-slate-600" data-testid="signing-none">{t('signingNone')}</p>;
  return (
    <ul className="mt-3 space-y-3">
      {active.map((r) => (
        <li key={r.grantId} className="rounded-lg border border-slate-200 p-3" data-testid="signing-authorisation">
          <p className="font-semibold">{r.service}</p>
          <p className="text-sm text-slate-600">
            {r.documentTypes.map((d) => tc(`docTypes.${d}`)).join('、')} · {t('signingCount', { count: r.signatures })}
            {r.maxSignatures ? ` / ${r.maxSignatures}` : ''}
          </p>
          <p className="mt-1 text-lg tabular-nums" data-testid="signing-countdown">
            {t('signingRemaining')}: {remaining(r.expiresAt, now)}
          </p>
          <p className="text-sm text-slate-600" data-testid="signing-expires">
            {t('signingUntil', { time: r.expiresLabel })}
          </p>
          <button disabled={!hydrated} className={`${secondaryButtonClass} mt-2`} onClick={() => revoke(r.grantId)} data-testid="signing-revoke">
            {t('signingRevoke')}
          </button>
        </li>
      ))}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </ul>
  );
}
