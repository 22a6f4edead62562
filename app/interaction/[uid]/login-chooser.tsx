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
import { isCardExtensionAvailable } from '@/app/components/card/web-eid-bridge';

/** How long the page waits for the card extension to answer before it counts as not installed. */
const EXTENSION_CHECK_SECONDS = 2;

type ChooserEntry = InteractionView['chooser'][number];
type Status = { kind: 'idle' } | { kind: 'working' } | { kind: 'error'; code: string; message: string };

/**
 * Shows only the methods that work here: offered for this request (the registry's entries, in its
 * order) and supported by this browser. Each entry names its panel; a new kind of method adds one here.
 */
export function LoginChooser({ view }: { view: InteractionView }) {
  const t = useTranslations();
  const [webauthn, setWebauthn] = useState<boolean | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [card, setCard] = useState<boolean | null>(null);
  useEffect(() => setWebauthn(browserSupportsWebAuthn()), []);

  const base = `/interaction/${view.uid}`;
  // Both card methods travel through the same extension (the card bridge): asked once per page.
  const cardMethodOffered = view.chooser.some((e) => e.panel === 'hpki-card' || e.panel === 'my-number-card');
  useEffect(() => {
    if (!cardMethodOffered) return;
    let current = true;
    void isCardExtensionAvailable(EXTENSION_CHECK_SECONDS).then((ok) => current && setCard((known) => known || ok));
    return () => {
      current = false;
    };
  }, [cardMethodOffered]);

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

  // The registry's entries, in its order; each names the panel that runs it.
  const entries = view.chooser;
  const offers = (panel: string) => entries.some((e) => e.panel === panel);
  const cardOffered = offers('hpki-card');
  const checking = webauthn === null || (cardMethodOffered && card === null);
  // Nothing works when the passkey family and the card are both out and no other method is offered.
  const passkeyWorks = webauthn === true && (offers('passkey') || offers('cross-device'));
  const cardWorks = (cardMethodOffered && card === true) || (cardOffered && view.demo) || (offers('my-number-card') && view.jpkiPagePin);
  const otherMethods = entries.some((e) => !['passkey', 'cross-device', 'hpki-card', 'my-number-card'].includes(e.panel));
  const nothingWorks = !checking && !passkeyWorks && !cardWorks && !otherMethods;

  function panel(entry: ChooserEntry) {
    switch (entry.panel) {
      case 'hpki-card':
        return (
          <HpkiCardLogin
            key={entry.id}
            base={base}
            demo={view.demo}
            extension={card}
            onExtensionAnswered={() => setCard(true)}
            myNumberCardAnchor={offers('my-number-card') ? 'my-number-card-section' : undefined}
          />
        );
      case 'hpki-cert':
        return view.hpkiCertUrl ? <HpkiCertLogin key={entry.id} url={view.hpkiCertUrl} /> : null;
      case 'my-number-card':
        // Through the card bridge; the demo's software card also without it.
        return card === true || view.jpkiPagePin ? (
          <MyNumberCardLogin
            key={entry.id}
            base={base}
            pagePin={view.jpkiPagePin}
            bridgeAvailable={card}
            hpkiCardAnchor={cardOffered ? 'hpki-card-section' : undefined}
          />
        ) : null;
      case 'cross-device':
        return <CrossDeviceLogin key={entry.id} base={base} />;
      case 'passkey':
        return webauthn === true ? (
          <div key={entry.id} className="rounded-lg border border-slate-200 p-4">
            <h2 className="text-lg font-semibold">{t(entry.titleKey)}</h2>
            <p className="mt-1 text-slate-600">{t(entry.descriptionKey)}</p>
            <button className={`${buttonClass} mt-3`} onClick={loginWithPasskey} disabled={status.kind === 'working'} data-testid="passkey-login">
              {status.kind === 'working' ? t('login.passkey.waiting') : t('login.passkey.button')}
            </button>
          </div>
        ) : null;
      default:
        return null;
    }
  }

  return (
    <div className="space-y-6">
      <Card testId="login">
        <h1 className="text-2xl font-bold">{t('login.title')}</h1>
        <p className="mt-2 text-slate-700" data-testid="client-name">
          {t('login.forService', { service: view.client.name })}
        </p>
        <p className="mt-1 text-slate-600">{t('login.chooseMethod')}</p>
        <div className="mt-6 space-y-4">
          {entries.map(panel)}
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
