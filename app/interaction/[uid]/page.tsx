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
  return <LoginChooser view={view} />;
}
