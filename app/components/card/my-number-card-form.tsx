'use client';
import { useState, type FormEvent } from 'react';
import { useTranslations } from 'next-intl';
import { Card, ErrorNotice, buttonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import { MyNumberCardError, proveWithMyNumberCard, type MyNumberCardStep } from './my-number-card-login';

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

type Failure = { code: string; message: string; triesLeft?: number };

/**
 * The My Number Card steps shared by login and linking: the PIN is asked here, on our page, goes
 * only to the card (never to the server, never to a log), and the card signs the server's challenge.
 */
export function MyNumberCardForm({
  challengeUrl,
  submitUrl,
  submitLabel,
  onDone,
  testId,
}: {
  challengeUrl: string;
  submitUrl: string;
  submitLabel: string;
  onDone: (result: Record<string, unknown>) => void;
  testId: string;
}) {
  const t = useTranslations();
  const [pin, setPin] = useState('');
  const [step, setStep] = useState<MyNumberCardStep | 'server' | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    setStep('connecting');
    try {
      const challenge = await postJson<{ nonce: string; digest: string }>(challengeUrl);
      const proof = await proveWithMyNumberCard({ challengeDigest: fromBase64(challenge.digest), pin, onProgress: setStep });
      setPin('');
      setStep('server');
      onDone(
        await postJson<Record<string, unknown>>(submitUrl, {
          nonce: challenge.nonce,
          certificate: toBase64(proof.certificateDer),
          signature: toBase64(proof.signature),
        }),
      );
    } catch (error) {
      setPin('');
      setStep(null);
      if (error instanceof MyNumberCardError) {
        setFailure({ code: error.code, triesLeft: error.triesLeft, message: t(`errors.${error.code}`, { triesLeft: error.triesLeft ?? 0 }) });
      } else if (error instanceof ApiError) {
        setFailure({ code: error.code, message: error.message });
      } else {
        setFailure({ code: 'internal_error', message: t('errors.internal_error') });
      }
    }
  }

  return (
    <Card testId={testId}>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <label htmlFor={`${testId}-pin`} className="block font-semibold">
          {t('myNumberCard.pinLabel')}
        </label>
        <p id={`${testId}-pin-help`} className="text-sm text-slate-600">
          {t('myNumberCard.pinHelp')}
        </p>
        <input
          id={`${testId}-pin`}
          type="password"
          inputMode="numeric"
          autoComplete="off"
          maxLength={4}
          value={pin}
          onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
          aria-describedby={`${testId}-pin-help`}
          className="block w-40 rounded-lg border border-slate-300 px-4 py-3 text-2xl tracking-widest"
          data-testid={`${testId}-pin`}
        />
        <button type="submit" className={buttonClass} disabled={pin.length !== 4 || step !== null} data-testid={`${testId}-submit`}>
          {step ? t(`myNumberCard.step.${step}`) : submitLabel}
        </button>
        {failure ? (
          <div>
            <ErrorNotice message={failure.message} code={failure.code} />
            {failure.code === 'jpki_pin_wrong' && failure.triesLeft !== undefined ? (
              <p className="mt-2 font-semibold text-red-800" data-testid={`${testId}-tries-left`}>
                {t('myNumberCard.triesLeft', { count: failure.triesLeft })}
              </p>
            ) : null}
          </div>
        ) : null}
      </form>
    </Card>
  );
}
