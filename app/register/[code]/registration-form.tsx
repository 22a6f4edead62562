'use client';
import { useState, type FormEvent } from 'react';
import { useTranslations } from 'next-intl';
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import { Card, ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';

type Step =
  | { kind: 'password' }
  | { kind: 'passkey'; options: PublicKeyCredentialCreationOptionsJSON }
  | { kind: 'done' }
  | { kind: 'locked' };

/** Password (birth date) → passkey with biometrics → done; one decision per screen. */
export function RegistrationForm({ code, name, validUntil }: { code: string; name: string; validUntil: string }) {
  const t = useTranslations();
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ code: string; message: string; remaining?: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/register/${encodeURIComponent(code)}`;

  async function submitPassword(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { options } = await postJson<{ options: PublicKeyCredentialCreationOptionsJSON }>(`${base}/password`, { password });
      setStep({ kind: 'passkey', options });
    } catch (e) {
      const err = toApiError(e, t('errors.internal_error'));
      if (err.code === 'registration_code_locked') setStep({ kind: 'locked' });
      setError({ code: err.code, message: err.message, remaining: typeof err.body.remaining === 'number' ? err.body.remaining : undefined });
    } finally {
      setBusy(false);
    }
  }

  async function registerPasskey(options: PublicKeyCredentialCreationOptionsJSON) {
    setBusy(true);
    setError(null);
    try {
      let response;
      try {
        response = await startRegistration({ optionsJSON: options });
      } catch {
        setError({ code: 'passkey_cancelled', message: t('errors.passkey_cancelled') });
        // A new challenge is needed: the password step is asked again.
        setStep({ kind: 'password' });
        return;
      }
      await postJson(`${base}/passkey`, { response });
      setStep({ kind: 'done' });
    } catch (e) {
      const err = toApiError(e, t('errors.internal_error'));
      setError({ code: err.code, message: err.message });
      setStep({ kind: 'password' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card testId={`registration-step-${step.kind}`}>
      <h1 className="text-2xl font-bold">{t('register.title')}</h1>
      <p className="mt-2 text-slate-700" data-testid="registration-name">{t('register.forPractitioner', { name })}</p>
      {step.kind === 'password' ? (
        <form onSubmit={submitPassword} className="mt-6 space-y-4" noValidate>
          <label htmlFor="password" className="block text-lg font-semibold">
            {t('register.passwordLabel')}
          </label>
          <p id="password-help" className="text-slate-600">{t('register.passwordHelp')}</p>
          <input
            id="password"
            name="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={8}
            pattern="\d{8}"
            value={password}
            onChange={(e) => setPassword(e.target.value.replace(/\D/g, ''))}
            aria-describedby="password-help password-error"
            aria-invalid={error ? true : undefined}
            className="block w-full rounded-lg border border-slate-300 px-4 py-3 text-2xl tracking-widest"
            data-testid="registration-password"
          />
          {error ? (
            <div id="password-error">
              <ErrorNotice message={error.message} code={error.code} />
              {error.remaining !== undefined && error.remaining > 0 ? (
                <p className="mt-2 font-semibold text-red-800" data-testid="remaining-attempts">
                  {t('register.remaining', { count: error.remaining })}
                </p>
              ) : null}
            </div>
          ) : null}
          <button type="submit" className={buttonClass} disabled={busy || password.length !== 8} data-testid="registration-next">
            {t('register.next')}
          </button>
          <p className="text-sm text-slate-500">{t('register.validUntil', { date: validUntil })}</p>
        </form>
      ) : null}
      {step.kind === 'passkey' ? (
        <div className="mt-6 space-y-4">
          <p className="text-lg">{t('register.passkeyExplain')}</p>
          <button className={buttonClass} disabled={busy} onClick={() => registerPasskey(step.options)} data-testid="registration-passkey">
            {busy ? t('register.passkeyWaiting') : t('register.passkeyButton')}
          </button>
          {error ? <ErrorNotice message={error.message} code={error.code} /> : null}
        </div>
      ) : null}
      {step.kind === 'done' ? (
        <div className="mt-6 space-y-2" data-testid="registration-done">
          <p className="text-xl font-semibold text-emerald-800">{t('register.doneTitle')}</p>
          <p>{t('register.doneBody')}</p>
        </div>
      ) : null}
      {step.kind === 'locked' ? (
        <div className="mt-6" data-testid="registration-locked">
          <ErrorNotice message={t('errors.registration_code_locked')} code="registration_code_locked" />
        </div>
      ) : null}
    </Card>
  );
}
