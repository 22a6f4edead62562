'use client';
import { usePathname } from 'next/navigation';

/** Japanese by default; the switch sets the `lang` cookie and returns to this page. */
export function LanguageSwitch({ current }: { current: string }) {
  const path = usePathname() ?? '/';
  const target = current === 'en' ? 'ja' : 'en';
  return (
    <a
      className="text-sm rounded-md border border-slate-300 px-3 py-1.5 hover:bg-slate-50"
      href={`/lang?set=${target}&return=${encodeURIComponent(path)}`}
      lang={target}
      data-testid="language-switch"
    >
      {target === 'en' ? 'English' : '日本語'}
    </a>
  );
}
