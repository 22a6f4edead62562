import type { ReactNode } from 'react';
import { ClientMessages } from '@/app/components/client-messages';

/** The smartphone page: the catalogue parts its client components use go with the page. */
export default function Layout({ children }: { children: ReactNode }) {
  return <ClientMessages namespaces={['devices', 'errors']}>{children}</ClientMessages>;
}
