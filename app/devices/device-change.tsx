'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useTranslations } from 'next-intl';
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { useHydrated } from '@/app/components/use-hydrated';

type Step = { kind: 'ready' } | { kind: 'working' } | { kind: 'done' } | { kind: 'error'; code: string; message: string };

/** Registers the new smartphone (the browser offers its own QR for a phone); the old one stops at once. */
export function DeviceChange() {
  const hydrated = useHydrated();
  const t = useTranslations();
  const router = useRouter();
  const [step, setStep] = useState<Step>({ kind: 'ready' });

  async function change() {
    setStep({ kind: 'working' });
    try {
      const { options } = await postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>('/api/devices/passkey/options');
      let response;
      try {
        response = await startRegistration({ optionsJSON: options });
      } catch (error) {
        const reason = (error as { name?: string }).name;
        setStep({ kind: 'error', code: reason ? `passkey_cancelled (${reason})` : 'passkey_cancelled', message: t('errors.passkey_cancelled') });
        return;
      }
      await postJson('/api/devices/passkey/verify', { response });
      setStep({ kind: 'done' });
      router.refresh();
    } catch (e) {
      const err = toApiError(e, t('errors.internal_error'));
      setStep({ kind: 'error', code: err.code, message: err.message });
    }
  }

  if (step.kind === 'done') {
    return (
      <p className="mt-4 rounded-lg bg-emerald-50 p-4 font-semibold text-emerald-800" role="status" data-testid="device-change-done">
        {t('devices.changeDone')}
      </p>
    );
  }
  return (
    <div className="mt-4 space-y-3">
      <p className="text-slate-600">{t('devices.changeHint')}</p>
      <button className={buttonClass} onClick={change} disabled={step.kind === 'working' || !hydrated} data-testid="device-change-button">
        {step.kind === 'working' ? t('devices.changeWaiting') : t('devices.changeButton')}
      </button>
      {step.kind === 'error' ? <ErrorNotice message={step.message} code={step.code} /> : null}
    </div>
  );
}
