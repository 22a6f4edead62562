'use client';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslations } from 'next-intl';
import { Card, ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson } from '@/app/components/post-json';
import { MyNumberCardError, proveWithMyNumberCard, type MyNumberCardStep } from './my-number-card-login';
import { CardError, authenticateWithCard, cardMessageCode } from './web-eid-bridge';
import { useHydrated } from '@/app/components/use-hydrated';

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

type Failure = { code: string; message: string; triesLeft?: number; reason?: string };
type Step = MyNumberCardStep | 'bridge' | 'server' | null;

/**
 * The My Number Card steps shared by login and linking. The card signs the server's challenge:
 * - through the card bridge (the browser extension asks the PIN in its own window; the token names
 *   this page's origin, so a page elsewhere cannot relay it) — always;
 * - with `pagePin`, also through the page's own PC/SC exchange with the PIN typed here (the
 *   demo's software card; the server accepts that proof only with JPKI_UNBOUND_PROOF).
 * The PIN never goes to the server or a log.
 */
export function MyNumberCardForm({
  challengeUrl,
  submitUrl,
  submitLabel,
  onDone,
  testId,
  pagePin,
  bridgeAvailable,
  hpkiCardAnchor,
  autoStart = false,
  onRefused,
}: {
  challengeUrl: string;
  submitUrl: string;
  submitLabel: string;
  onDone: (result: Record<string, unknown>) => void;
  testId: string;
  /** Offer the demo's page-level software card (PIN on this page). */
  pagePin: boolean;
  /** Whether the card bridge answered this page (null while unknown). */
  bridgeAvailable: boolean | null;
  /** The HPKI card section of this page, when it offers one: an HPKI card in the reader points there. */
  hpkiCardAnchor?: string;
  /** Read the card through the bridge once it answers (the person already chose this method). */
  autoStart?: boolean;
  /** A refusal the page shows on its own (e.g. the service's policy); true: handled, not shown here. */
  onRefused?: (code: string, message: string) => boolean;
}) {
  const t = useTranslations();
  const [pin, setPin] = useState('');
  const [step, setStep] = useState<Step>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  // Server-rendered when the page PIN is offered: a click before hydration would submit the form natively.
  const hydrated = useHydrated();

  function fail(error: unknown) {
    setPin('');
    setStep(null);
    if (error instanceof CardError) {
      const code = cardMessageCode(error.code, 'jpki');
      setFailure({ code, message: t(`errors.${code}`), reason: error.reason });
    } else if (error instanceof MyNumberCardError) {
      setFailure({ code: error.code, triesLeft: error.triesLeft, message: t(`errors.${error.code}`, { triesLeft: error.triesLeft ?? 0 }) });
    } else if (error instanceof ApiError) {
      if (onRefused?.(error.code, error.message)) return;
      setFailure({ code: error.code, message: error.message });
    } else {
      setFailure({ code: 'internal_error', message: t('errors.internal_error') });
    }
  }

  /** Through the card bridge: the extension's window asks the PIN; nonce and token stay local. */
  async function readWithBridge() {
    setFailure(null);
    setStep('bridge');
    try {
      const { nonce } = await postJson<{ nonce: string }>(challengeUrl);
      const token = await authenticateWithCard(nonce, 'jpki');
      setStep('server');
      onDone(await postJson<Record<string, unknown>>(submitUrl, { nonce, token }));
    } catch (error) {
      fail(error);
    }
  }

  /** The demo's software card: the page runs the JPKI APDUs itself with the PIN typed here. */
  async function submitWithPagePin(event: FormEvent) {
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
      fail(error);
    }
  }

  const busy = step !== null || !hydrated;

  // Once, when the bridge has answered and the page is live.
  const started = useRef(false);
  useEffect(() => {
    if (!autoStart || started.current || !hydrated || !bridgeAvailable) return;
    started.current = true;
    void readWithBridge();
    // readWithBridge reads only props and setters; the guard above keeps it to one call.
  }, [autoStart, hydrated, bridgeAvailable]);
  return (
    <Card testId={testId}>
      {bridgeAvailable ? (
        <div className="space-y-2">
          <p id={`${testId}-bridge-help`} className="text-sm text-slate-600">
            {t('myNumberCard.bridgeHint')}
          </p>
          <button
            type="button"
            className={buttonClass}
            onClick={readWithBridge}
            disabled={busy}
            aria-describedby={`${testId}-bridge-help`}
            data-testid={`${testId}-read`}
          >
            {step === 'bridge' ? t('myNumberCard.step.bridge') : step === 'server' ? t('myNumberCard.step.server') : submitLabel}
          </button>
        </div>
      ) : bridgeAvailable === false && !pagePin ? (
        <p className="text-slate-700" data-testid={`${testId}-bridge-missing`}>
          {t('myNumberCard.bridgeMissing')}
        </p>
      ) : null}
      {pagePin ? (
        <form onSubmit={submitWithPagePin} className={`space-y-3 ${bridgeAvailable ? 'mt-6 border-t border-slate-200 pt-4' : ''}`} noValidate>
          {bridgeAvailable ? <h3 className="font-semibold text-amber-900">{t('myNumberCard.softwareCardTitle')}</h3> : null}
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
            disabled={!hydrated}
            onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
            aria-describedby={`${testId}-pin-help`}
            className="block w-40 rounded-lg border border-slate-300 px-4 py-3 text-2xl tracking-widest"
            data-testid={`${testId}-pin`}
          />
          <button type="submit" className={buttonClass} disabled={pin.length !== 4 || busy} data-testid={`${testId}-submit`}>
            {step && step !== 'bridge' ? t(`myNumberCard.step.${step}`) : submitLabel}
          </button>
        </form>
      ) : null}
      {failure ? (
        <div className="mt-3" data-testid={`${testId}-failure`}>
          <ErrorNotice message={failure.message} code={failure.code} />
          {failure.code === 'jpki_pin_wrong' && failure.triesLeft !== undefined ? (
            <p className="mt-2 font-semibold text-red-800" data-testid={`${testId}-tries-left`}>
              {t('myNumberCard.triesLeft', { count: failure.triesLeft })}
            </p>
          ) : null}
          {failure.code === 'card_wrong_type_hpki' && hpkiCardAnchor ? (
            <a href={`#${hpkiCardAnchor}`} className={`${secondaryButtonClass} mt-2`} data-testid={`${testId}-use-other`}>
              {t('myNumberCard.useOtherMethod', { method: t('login.hpkiCard.title') })}
            </a>
          ) : null}
          {failure.reason && failure.reason !== failure.code ? (
            <p className="mt-1 text-xs text-slate-500" data-testid={`${testId}-error-reason`}>
              {t('login.hpkiCard.errorReason', { reason: failure.reason })}
            </p>
          ) : null}
        </div>
      ) : null}
    </Card>
  );
}
