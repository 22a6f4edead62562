'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';

type Action = 'lock' | 'unlock' | 'end-sessions' | 'remove-device' | 'remove-my-number-card';

/** The actions on one practitioner; each asks for confirmation and says what it did. */
export function PractitionerActions({ id, locked, self, hasDevice, hasMnc }: { id: string; locked: boolean; self: boolean; hasDevice: boolean; hasMnc: boolean }) {
  const t = useTranslations('admin');
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const small = `${secondaryButtonClass} !px-3 !py-2 !text-base`;

  async function run(action: Action) {
    if (!window.confirm(t(`practitioners.confirm.${action}`))) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const result = await postJson<{ endedProviderSessions?: number; endedPortalSessions?: number }>(`/api/admin/practitioners/${id}/${action}`);
      setDone(
        result.endedProviderSessions !== undefined
          ? t('practitioners.doneSessions', { provider: result.endedProviderSessions, portal: result.endedPortalSessions ?? 0 })
          : t('practitioners.done'),
      );
      router.refresh();
    } catch (e) {
      setError(toApiError(e, String(e)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="mt-2 space-y-2">
      <div className="flex flex-wrap gap-2">
        {locked ? (
          <button className={small} disabled={busy} onClick={() => run('unlock')} data-testid={`unlock-${id}`}>
            {t('practitioners.unlock')}
          </button>
        ) : self ? null : (
          <button className={small} disabled={busy} onClick={() => run('lock')} data-testid={`lock-${id}`}>
            {t('practitioners.lock')}
          </button>
        )}
        <button className={small} disabled={busy} onClick={() => run('end-sessions')} data-testid={`end-sessions-${id}`}>
          {t('practitioners.endSessions')}
        </button>
        {hasDevice ? (
          <button className={small} disabled={busy} onClick={() => run('remove-device')} data-testid={`remove-device-${id}`}>
            {t('practitioners.removeDevice')}
          </button>
        ) : null}
        {hasMnc ? (
          <button className={small} disabled={busy} onClick={() => run('remove-my-number-card')} data-testid={`remove-mnc-${id}`}>
            {t('practitioners.removeMnc')}
          </button>
        ) : null}
        <a className={small} href={`/admin/practitioners/${id}/registration`} data-testid={`registration-${id}`}>
          {t('practitioners.reissue')}
        </a>
      </div>
      {done ? <p role="status" className="text-sm text-emerald-800">{done}</p> : null}
      {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
    </div>
  );
}
