import type { ReactNode } from 'react';
import { ClientMessages } from '@/app/components/client-messages';

/** The phone's approval page: the catalogue parts its client components use go with the page. */
export default function Layout({ children }: { children: ReactNode }) {
  return <ClientMessages namespaces={['approve', 'errors']}>{children}</ClientMessages>;
}
