import type { ReactNode } from 'react';
import { ClientMessages } from '@/app/components/client-messages';

/** Login and consent: the catalogue parts their client components use go with the page. */
export default function Layout({ children }: { children: ReactNode }) {
  return <ClientMessages namespaces={['errors', 'login', 'myNumberCard', 'crossDevice', 'consent', 'signingConsent']}>{children}</ClientMessages>;
}
