import { InteractionScreen } from './interaction-screen';

export const dynamic = 'force-dynamic';

/**
 * Login (method chooser) or consent for one OpenID Connect authorization request. The same page for
 * every interaction: what this one shows comes from /interaction/<uid>/view (interaction-screen.tsx),
 * so server.ts renders the page once per language and serves it from memory
 * (src/http/interaction-page-cache.ts).
 */
export default function InteractionPage() {
  return <InteractionScreen />;
}
