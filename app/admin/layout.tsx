import type { ReactNode } from 'react';
import { ClientMessages } from '@/app/components/client-messages';

/**
 * The console's tables need the screen's width: this wrapper widens the page's narrow column to
 * the viewport (less 1 rem each side, at most 80 rem) and stays centred. Printing (the registration
 * sheet) keeps the page's own column.
 */
export default function AdminLayout({ children }: { children: ReactNode }) {
  return (
    <div className="mx-[calc(50%_-_min(50vw_-_1rem,_40rem))] print:mx-0" data-testid="admin-layout">
      <ClientMessages namespaces={['admin', 'errors']}>{children}</ClientMessages>
    </div>
  );
}
