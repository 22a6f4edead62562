'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { Card, ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';

type Step = { kind: 'ask' } | { kind: 'working' } | { kind: 'done' } | { kind: 'error'; code: string; message: string; final: boolean };

/** One decision on one screen, usable with one thumb: what is approved, then the biometric check. */
export function ApproveForm(props: { token: string; service: string; time: string; terminal: string; terminalIp: string }) {
  const t = useTranslations();
  const [step, setStep] = useState<Step>({ kind: 'ask' });
  const base = `/api/approve/${encodeURIComponent(props.token)}`;

  async function approve() {
    setStep({ kind: 'working' });
    try {
      const options = await postJson<PublicKeyCredentialRequestOptionsJSON>(`${base}/options`);
      let response;
      try {
        response = await startAuthentication({ optionsJSON: options });
      } catch (error) {
        const reason = (error as { name?: string }).name;
        setStep({ kind: 'error', code: reason ? `passkey_cancelled (${reason})` : 'passkey_cancelled', message: t('errors.passkey_cancelled'), final: false });
        return;
      }
      await postJson(`${base}/verify`, response);
      setStep({ kind: 'done' });
    } catch (e) {
      const err = toApiError(e, t('errors.internal_error'));
      // A used, expired or withdrawn URL cannot be tried again; a failed ceremony can.
      setStep({ kind: 'error', code: err.code, message: err.message, final: err.code.startsWith('cross_device_') });
    }
  }

  if (step.kind === 'done') {
    return (
      <Card testId="approve-done">
        <h1 className="text-2xl font-bold text-emerald-800">{t('approve.doneTitle')}</h1>
        <p className="mt-3 text-lg">{t('approve.doneBody')}</p>
      </Card>
    );
  }
  return (
    <Card testId="approve">
      <h1 className="text-2xl font-bold">{t('approve.title')}</h1>
      <p className="mt-2 text-lg">{t('approve.question')}</p>
      <dl className="mt-4 space-y-3">
        <div>
          <dt className="text-sm text-slate-500">{t('approve.service')}</dt>
          <dd className="text-xl font-semibold" data-testid="approve-service">{props.service}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">{t('approve.time')}</dt>
          <dd data-testid="approve-time">{props.time}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">{t('approve.terminal')}</dt>
          <dd data-testid="approve-terminal">{props.terminal}</dd>
        </div>
        <div>
          <dt className="text-sm text-slate-500">{t('approve.terminalIp')}</dt>
          <dd className="font-mono" data-testid="approve-terminal-ip">{props.terminalIp}</dd>
        </div>
      </dl>
      <p className="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-amber-900">{t('approve.warning')}</p>
      {step.kind === 'error' && step.final ? null : (
        <button className={`${buttonClass} mt-6 w-full`} onClick={approve} disabled={step.kind === 'working'} data-testid="approve-button">
          {step.kind === 'working' ? t('approve.waiting') : t('approve.button')}
        </button>
      )}
      {step.kind === 'error' ? (
        <div className="mt-4">
          <ErrorNotice message={step.message} code={step.code} />
        </div>
      ) : null}
    </Card>
  );
}
