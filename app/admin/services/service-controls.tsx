'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { SecretOnce } from './secret-once';
import { useHydrated } from '@/app/components/use-hydrated';

/** Rotate the secret (the old one stops working at once) and disable or enable the service. */
export function ServiceControls({ clientId, enabled, hasSecret }: { clientId: string; enabled: boolean; hasSecret: boolean }) {
  const hydrated = useHydrated();
  const t = useTranslations('admin');
  const router = useRouter();
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/admin/services/${encodeURIComponent(clientId)}`;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(toApiError(e, String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-3">
        {hasSecret ? (
          <button
            className={secondaryButtonClass}
            disabled={busy || !hydrated}
            data-testid="service-rotate"
            onClick={() =>
              run(async () => {
                if (!window.confirm(t('services.rotateConfirm'))) return;
                setSecret((await postJson<{ clientSecret: string }>(`${base}/rotate-secret`)).clientSecret);
              })
            }
          >
            {t('services.rotate')}
          </button>
        ) : null}
        <button
          className={secondaryButtonClass}
          disabled={busy || !hydrated}
          data-testid={enabled ? 'service-disable' : 'service-enable'}
          onClick={() =>
            run(async () => {
              await postJson(`${base}/enabled`, { enabled: !enabled });
              router.refresh();
            })
          }
        >
          {enabled ? t('services.disable') : t('services.enable')}
        </button>
      </div>
      {secret ? <SecretOnce clientId={clientId} secret={secret} /> : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
