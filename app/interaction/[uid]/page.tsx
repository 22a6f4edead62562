import { headers } from 'next/headers';
import { getTranslations } from 'next-intl/server';
import { decodeInteractionView, INTERACTION_VIEW_HEADER } from '@/src/oidc/interaction-view-schema';
import { Card, ErrorNotice } from '@/app/components/card';
import { LoginChooser } from './login-chooser';
import { ConsentForm } from './consent-form';

export const dynamic = 'force-dynamic';

/** Login (method chooser) or consent for one OpenID Connect authorization request. */
export default async function InteractionPage() {
  // server.ts checked the interaction cookie and put what this page may show into this header.
  const view = decodeInteractionView((await headers()).get(INTERACTION_VIEW_HEADER));
  const t = await getTranslations();
  if (!view) {
    return (
      <Card>
        <ErrorNotice message={t('errors.interaction_expired')} code="interaction_expired" />
      </Card>
    );
  }
  if (view.prompt === 'consent') return <ConsentForm view={view} />;
  return (
    <>
      {view.demo && view.chooser.some((e) => e.panel === 'hpki-card') ? (
        <>
          {/* Demo mode only: a software HPKI card speaking the extension's messages (src/demo). */}
          <script src="/demo/software-card.js?holder=doctor" async />
          {view.chooser.some((e) => e.panel === 'my-number-card') ? <script src="/demo/software-my-number-card.js" async /> : null}
          <p className="mb-3 rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="demo-software-card-notice">
            {t('login.hpkiCard.demoSoftwareCard')}
          </p>
        </>
      ) : null}
      <LoginChooser view={view} />
    </>
  );
}
