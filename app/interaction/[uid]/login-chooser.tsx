'use client';
import { useEffect, useState } from 'react';
import { useTranslations } from 'next-intl';
import { browserSupportsWebAuthn, startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { InteractionView } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice, buttonClass, secondaryButtonClass } from '@/app/components/card';
import { ApiError, postJson, toApiError } from '@/app/components/post-json';
import { HpkiCardLogin } from './hpki-card-login';
import { HpkiCertLogin } from './hpki-cert-login';
import { MyNumberCardLogin } from './my-number-card-login';
import { CrossDeviceLogin } from './cross-device-login';

type Status = { kind: 'idle' } | { kind: 'working' } | { kind: 'error'; code: string; message: string };

/** Shows only the methods that work here: configured on the server and supported by this browser. */
export function LoginChooser({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const [webauthn, setWebauthn] = useState<boolean | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [card, setCard] = useState<boolean | null>(null);
  useEffect(() => setWebauthn(browserSupportsWebAuthn()), []);

  const base = `/interaction/${view.uid}`;

  async function loginWithPasskey() {
    setStatus({ kind: 'working' });
    try {
      const options = await postJson<PublicKeyCredentialRequestOptionsJSON>(`${base}/passkey/options`);
      let response;
      try {
        response = await startAuthentication({ optionsJSON: options });
      } catch (error) {
        // The browser's reason (NotAllowedError, SecurityError, …) helps support; no secret in it.
        const reason = (error as { name?: string }).name;
        setStatus({ kind: 'error', code: reason ? `passkey_cancelled (${reason})` : 'passkey_cancelled', message: t('errors.passkey_cancelled') });
        return;
      }
      const { redirectTo } = await postJson<{ redirectTo: string }>(`${base}/passkey/verify`, response);
      window.location.assign(redirectTo);
    } catch (error) {
      const e = toApiError(error, t('errors.internal_error'));
      setStatus({ kind: 'error', code: e.code, message: e.message });
    }
  }

  async function cancel() {
    try {
      const { redirectTo } = await postJson<{ redirectTo: string }>(`${base}/abort`);
      window.location.assign(redirectTo);
    } catch (error) {
      const e = toApiError(error, t('errors.internal_error'));
      setStatus({ kind: 'error', code: e.code, message: e.message });
    }
  }

  const passkeyOffered = view.methods.includes('passkey') && webauthn === true;
  const cardOffered = view.methods.includes('hpki-card');
  const checking = webauthn === null || (cardOffered && card === null);
  // Nothing works when the passkey family and the card are both out and no other method is offered.
  const passkeyWorks = webauthn === true && view.methods.some((m) => m.startsWith('passkey'));
  const cardWorks = cardOffered && card === true;
  const otherMethods = view.methods.some((m) => !m.startsWith('passkey') && m !== 'hpki-card');
  const nothingWorks = !checking && !passkeyWorks && !cardWorks && !otherMethods;

  return (
    <div className="space-y-6">
      <Card testId="login">
        <h1 className="text-2xl font-bold">{t('login.title')}</h1>
        <p className="mt-2 text-slate-700" data-testid="client-name">
          {t('login.forService', { service: view.client.name })}
        </p>
        <p className="mt-1 text-slate-600">{t('login.chooseMethod')}</p>
        <div className="mt-6 space-y-4">
          {cardOffered ? <HpkiCardLogin base={base} demo={view.demo} onAvailability={setCard} /> : null}
          {view.hpkiCertUrl ? <HpkiCertLogin url={view.hpkiCertUrl} /> : null}
          {/* The My Number Card travels through the same extension as the HPKI card. */}
          {view.methods.includes('jpki') && (card === true || view.demo) ? <MyNumberCardLogin base={base} /> : null}
          {view.methods.includes('passkey') ? <CrossDeviceLogin base={base} /> : null}
          {passkeyOffered ? (
            <div className="rounded-lg border border-slate-200 p-4">
              <h2 className="text-lg font-semibold">{t('login.passkey.title')}</h2>
              <p className="mt-1 text-slate-600">{t('login.passkey.description')}</p>
              <button className={`${buttonClass} mt-3`} onClick={loginWithPasskey} disabled={status.kind === 'working'} data-testid="passkey-login">
                {status.kind === 'working' ? t('login.passkey.waiting') : t('login.passkey.button')}
              </button>
            </div>
          ) : null}
          {nothingWorks ? <ErrorNotice message={t('login.noMethod')} /> : null}
          {checking ? <p className="text-slate-500">{t('common.loading')}</p> : null}
        </div>
        {status.kind === 'error' ? (
          <div className="mt-4">
            <ErrorNotice message={status.message} code={status.code} />
          </div>
        ) : null}
        <div className="mt-6">
          <button className={secondaryButtonClass} onClick={cancel} data-testid="cancel">
            {t('login.cancel')}
          </button>
        </div>
      </Card>
    </div>
  );
}
