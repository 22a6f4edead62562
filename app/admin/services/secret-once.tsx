'use client';
import { useTranslations } from 'next-intl';

/** The client secret, shown this one time: only the provider keeps it, no page shows it again. */
export function SecretOnce({ clientId, secret }: { clientId: string; secret: string }) {
  const t = useTranslations('admin');
  return (
    <div role="status" className="rounded-lg border-2 border-amber-400 bg-amber-50 p-4" data-testid="secret-once">
      <p className="font-semibold text-amber-900">{t('services.secretOnce')}</p>
      <dl className="mt-2 space-y-2">
        <div>
          <dt className="text-sm text-slate-600">client_id</dt>
          <dd className="break-all font-mono" data-testid="secret-client-id">{clientId}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-600">client_secret</dt>
          <dd className="break-all font-mono" data-testid="secret-value">{secret}</dd>
        </div>
      </dl>
    </div>
  );
}
