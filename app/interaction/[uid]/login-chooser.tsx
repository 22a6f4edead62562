'use client';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslations } from 'next-intl';
import { browserSupportsWebAuthn, startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { InteractionView } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice, secondaryButtonClass } from '@/app/components/card';
import { postJson, toApiError } from '@/app/components/post-json';
import { isCardExtensionAvailable } from '@/app/components/card/web-eid-bridge';
import { HpkiCardLogin } from './hpki-card-login';
import { HpkiCertLogin } from './hpki-cert-login';
import { MyNumberCardLogin } from './my-number-card-login';
import { SmartphoneLogin } from './smartphone-login';
import { RefusedLogin } from './refused-login';
import { LoginGroup, REFUSAL_CODES, choosePrimary, groupOf, looksLikePhone, readLastMethod, rememberMethod, rowButtonClass, type Refusal } from './login-choice';
import { useHydrated } from '@/app/components/use-hydrated';

/** How long the page waits for the card extension to answer before it counts as not installed. */
const EXTENSION_CHECK_SECONDS = 2;

type Status = { kind: 'idle' } | { kind: 'working' } | { kind: 'error'; code: string; message: string };

/**
 * One primary method — the one used last in this browser, else the first that works here — and the
 * others one click away, one line each (issue 16 §1). On a phone only the methods that work on a
 * phone. A refused qualification or level replaces the chooser with a page of its own (§2).
 * Clicking another method's button both makes it the main method and starts it, so every method's
 * button keeps its test id and needs one click, as before.
 */
export function LoginChooser({ view }: { view: InteractionView }) {
  const hydrated = useHydrated();
  const t = useTranslations();
  const [webauthn, setWebauthn] = useState<boolean | null>(null);
  const [phoneHint, setPhoneHint] = useState<boolean | null>(null);
  const [lastMethod, setLastMethod] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [card, setCard] = useState<boolean | null>(null);
  // The method the person picked on this page, and the action its click asked for.
  const [picked, setPicked] = useState<{ group: LoginGroup; start: 'card' | 'cross-device' | null } | null>(null);
  const [refused, setRefused] = useState<Refusal | null>(null);
  useEffect(() => {
    setWebauthn(browserSupportsWebAuthn());
    setPhoneHint(looksLikePhone());
    setLastMethod(readLastMethod());
  }, []);

  const base = `/interaction/${view.uid}`;
  const entries = view.chooser;
  const offers = (panel: string) => entries.some((e) => e.panel === panel);
  // Both card methods travel through the same extension (the card bridge): asked once per page.
  const cardMethodOffered = offers('hpki-card') || offers('my-number-card');
  useEffect(() => {
    if (!cardMethodOffered || phoneHint !== false) return;
    let current = true;
    void isCardExtensionAvailable(EXTENSION_CHECK_SECONDS).then((ok) => current && setCard((known) => known || ok));
    return () => {
      current = false;
    };
  }, [cardMethodOffered, phoneHint]);

  // A card bridge that answers means a terminal with a reader, whatever the pointer says.
  const phone = phoneHint === true && card !== true;
  const device = phone ? 'phone' : 'terminal';
  const settled = webauthn !== null && phoneHint !== null && (phone || !cardMethodOffered || card !== null);
  const onThisDevice = (panel: string) => entries.some((e) => e.panel === panel && e.devices.includes(device));

  const works: Record<LoginGroup, boolean> = {
    'hpki-card': onThisDevice('hpki-card') && (card === true || view.demo),
    'hpki-cert': onThisDevice('hpki-cert') && Boolean(view.hpkiCertUrl),
    'my-number-card': onThisDevice('my-number-card') && (card === true || view.jpkiPagePin),
    smartphone: (onThisDevice('passkey') && webauthn === true) || onThisDevice('cross-device'),
  };
  const groups = [...new Set(entries.map((e) => groupOf(e.panel)).filter((g): g is LoginGroup => g !== null))].filter((g) => works[g]);
  const remembered = lastMethod ? groupOf(lastMethod) : null;
  const primary = settled ? (picked?.group ?? choosePrimary(groups, remembered)) : null;
  const others = groups.filter((g) => g !== primary);
  const nothingWorks = settled && groups.length === 0;

  function pick(group: LoginGroup, start: 'card' | 'cross-device' | null = null) {
    setStatus({ kind: 'idle' });
    setPicked({ group, start });
  }

  function refuse(code: string, message: string): boolean {
    if (!REFUSAL_CODES.has(code)) return false;
    setRefused({ code, message });
    return true;
  }

  async function loginWithPasskey() {
    pick('smartphone');
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
      rememberMethod('passkey');
      window.location.assign(redirectTo);
    } catch (error) {
      const e = toApiError(error, t('errors.internal_error'));
      if (refuse(e.code, e.message)) return setStatus({ kind: 'idle' });
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

  const cancelButton = (
    <button disabled={!hydrated} className={secondaryButtonClass} onClick={cancel} data-testid="cancel">
      {t('login.cancel')}
    </button>
  );

  if (refused) return <RefusedLogin refusal={refused} onRetry={() => setRefused(null)} cancelButton={cancelButton} />;

  const smartphone = {
    passkey: onThisDevice('passkey') && webauthn === true,
    crossDevice: onThisDevice('cross-device'),
  };

  /** The main method: its whole panel with a large button. */
  function panel(group: LoginGroup): ReactNode {
    const autoStart = picked?.group === group ? picked.start : null;
    switch (group) {
      case 'hpki-card':
        return (
          <HpkiCardLogin
            base={base}
            demo={view.demo}
            extension={card}
            autoStart={autoStart === 'card'}
            onExtensionAnswered={() => setCard(true)}
            onRefused={refuse}
            myNumberCardAnchor={works['my-number-card'] ? 'my-number-card-section' : undefined}
          />
        );
      case 'hpki-cert':
        return <HpkiCertLogin url={view.hpkiCertUrl!} />;
      case 'my-number-card':
        return (
          <MyNumberCardLogin
            base={base}
            pagePin={view.jpkiPagePin}
            bridgeAvailable={card}
            autoRead={autoStart === 'card'}
            onRefused={refuse}
            hpkiCardAnchor={works['hpki-card'] ? 'hpki-card-section' : undefined}
          />
        );
      case 'smartphone':
        return (
          <SmartphoneLogin
            base={base}
            phone={phone}
            passkey={smartphone.passkey}
            crossDevice={smartphone.crossDevice}
            autoStartCrossDevice={autoStart === 'cross-device'}
            passkeyBusy={status.kind === 'working'}
            onPasskey={loginWithPasskey}
            onRefused={refuse}
          />
        );
    }
  }

  /** Another method: one line that says what it is, and its button (one click starts it). */
  function row(group: LoginGroup): ReactNode {
    const line = (id: string, testId: string, title: string, description: string, actions: ReactNode) => (
      <li key={group} id={id} data-testid={testId} className="flex flex-col gap-2 px-4 py-3 sm:flex-row sm:items-center sm:gap-4">
        <div className="min-w-0 flex-1">
          <h3 className="font-semibold">{title}</h3>
          <p className="text-sm text-slate-600">{description}</p>
        </div>
        <div className="flex shrink-0 flex-col gap-2 sm:flex-row">{actions}</div>
      </li>
    );
    switch (group) {
      case 'hpki-card':
        return line(
          'hpki-card-section',
          'hpki-card-section',
          t('login.hpkiCard.title'),
          t('login.short.hpkiCard'),
          <button disabled={!hydrated} type="button" className={rowButtonClass} onClick={() => pick('hpki-card', 'card')} data-testid="hpki-card-login">
            {t('login.hpkiCard.button')}
          </button>,
        );
      case 'hpki-cert':
        return line(
          'hpki-cert-section',
          'hpki-cert-section',
          t('login.hpkiCert.title'),
          t('login.short.hpkiCert'),
          <a className={rowButtonClass} href={view.hpkiCertUrl!} onClick={() => rememberMethod('hpki-cert')} data-testid="hpki-cert-login">
            {t('login.hpkiCert.button')}
          </a>,
        );
      case 'my-number-card':
        return line(
          'my-number-card-section',
          'jpki-section',
          t('login.myNumberCard.title'),
          t('login.short.myNumberCard'),
          <>
            {card === true ? (
              <button disabled={!hydrated} type="button" className={rowButtonClass} onClick={() => pick('my-number-card', 'card')} data-testid="jpki-login-read">
                {t('login.myNumberCard.rowRead')}
              </button>
            ) : null}
            {view.jpkiPagePin ? (
              <button disabled={!hydrated} type="button" className={rowButtonClass} onClick={() => pick('my-number-card')} data-testid="jpki-login-show-pin">
                {t('login.myNumberCard.showPin')}
              </button>
            ) : null}
          </>,
        );
      case 'smartphone':
        return line(
          'smartphone-section',
          'smartphone-section',
          phone ? t('login.smartphone.phoneTitle') : t('login.smartphone.title'),
          phone ? t('login.smartphone.phoneDescription') : t('login.short.smartphone'),
          <>
            {smartphone.crossDevice ? (
              <button disabled={!hydrated} type="button" className={rowButtonClass} onClick={() => pick('smartphone', 'cross-device')} data-testid="cross-device-login">
                {t('login.smartphone.qrButton')}
              </button>
            ) : null}
            {smartphone.passkey ? (
              <button type="button" className={rowButtonClass} onClick={loginWithPasskey} disabled={status.kind === 'working' || !hydrated} data-testid="passkey-login">
                {phone ? t('login.passkey.button') : t('login.smartphone.passkeyButton')}
              </button>
            ) : null}
          </>,
        );
    }
  }

  return (
    <Card testId="login">
      <h1 className="text-2xl font-bold">{t('login.title')}</h1>
      <div className="mt-1 flex flex-wrap items-baseline justify-between gap-x-4">
        <p className="text-slate-700" data-testid="client-name">
          {t('login.forService', { service: view.client.name })}
        </p>
        {primary && remembered === primary && !picked ? (
          <p className="rounded-full bg-sky-50 px-3 py-0.5 text-sm font-semibold text-sky-800" data-testid="login-last-used">
            {t('login.lastUsed')}
          </p>
        ) : null}
      </div>
      {!settled ? (
        <p className="mt-4 text-slate-500" data-testid="login-checking">
          {t('common.loading')}
        </p>
      ) : null}
      {primary ? (
        <div className="mt-4" data-testid="login-primary" data-method={primary}>
          {panel(primary)}
        </div>
      ) : null}
      {status.kind === 'error' ? (
        <div className="mt-4">
          <ErrorNotice message={status.message} code={status.code} />
        </div>
      ) : null}
      {others.length ? (
        <section className="mt-4" aria-labelledby="login-others-heading" data-testid="login-others">
          <h2 id="login-others-heading" className="font-semibold text-slate-700">
            {t('login.otherMethods')}
          </h2>
          <ul className="mt-2 divide-y divide-slate-200 rounded-lg border border-slate-200">{others.map(row)}</ul>
        </section>
      ) : null}
      {nothingWorks ? (
        <div className="mt-4">
          <ErrorNotice message={t('login.noMethod')} />
        </div>
      ) : null}
      <div className="mt-4">{cancelButton}</div>
    </Card>
  );
}
