'use client';
import { useState } from 'react';
import { useTranslations } from 'next-intl';
import { buttonClass, secondaryButtonClass } from '@/app/components/card';
import { CrossDeviceLogin } from './cross-device-login';
import { useHydrated } from '@/app/components/use-hydrated';

/**
 * The one "smartphone" entry (issue 16 §1). On a terminal it offers both ways and says which is
 * which: the QR code shown here, read by the registered phone (nothing needed on this terminal), or a
 * passkey of this device. On a phone only its own passkey.
 */
export function SmartphoneLogin({
  base,
  phone,
  passkey,
  crossDevice,
  autoStartCrossDevice,
  passkeyBusy,
  onPasskey,
  onRefused,
}: {
  base: string;
  phone: boolean;
  /** This browser can use a passkey and the request offers it. */
  passkey: boolean;
  /** The QR hand-off to the registered phone is offered (terminals only). */
  crossDevice: boolean;
  autoStartCrossDevice: boolean;
  passkeyBusy: boolean;
  onPasskey: () => void;
  onRefused: (code: string, message: string) => boolean;
}) {
  const hydrated = useHydrated();
  const t = useTranslations();
  const [showQr, setShowQr] = useState(autoStartCrossDevice);
  const passkeyButton = (primary: boolean) => (
    <button type="button" className={primary ? buttonClass : secondaryButtonClass} onClick={onPasskey} disabled={passkeyBusy || !hydrated} data-testid="passkey-login">
      {passkeyBusy ? t('login.passkey.waiting') : phone ? t('login.passkey.button') : t('login.smartphone.passkeyButton')}
    </button>
  );
  if (phone || !crossDevice) {
    return (
      <div className="rounded-lg border border-slate-200 p-4" data-testid="smartphone-section" id="smartphone-section">
        <h2 className="text-lg font-semibold">{phone ? t('login.smartphone.phoneTitle') : t('login.passkey.title')}</h2>
        <p className="mt-1 text-slate-600">{phone ? t('login.smartphone.phoneDescription') : t('login.passkey.description')}</p>
        <div className="mt-3">{passkey ? passkeyButton(true) : null}</div>
      </div>
    );
  }
  return (
    <div className="rounded-lg border border-slate-200 p-4" data-testid="smartphone-section" id="smartphone-section">
      <h2 className="text-lg font-semibold">{t('login.smartphone.title')}</h2>
      <ul className="mt-1 space-y-1 text-slate-600">
        <li>{t('login.smartphone.qrExplained')}</li>
        {passkey ? <li>{t('login.smartphone.passkeyExplained')}</li> : null}
      </ul>
      {showQr ? (
        <div className="mt-3">
          <CrossDeviceLogin base={base} autoStart onRefused={onRefused} />
        </div>
      ) : null}
      <div className="mt-3 flex flex-col gap-3 sm:flex-row">
        {showQr ? null : (
          <button disabled={!hydrated} type="button" className={buttonClass} onClick={() => setShowQr(true)} data-testid="cross-device-login">
            {t('login.smartphone.qrButton')}
          </button>
        )}
        {passkey ? passkeyButton(false) : null}
      </div>
    </div>
  );
}
