import { getTranslations } from 'next-intl/server';

/**
 * Page links for a console table: first, previous, the pages around this one, next, last. Each
 * link is the same URL with another page number, so the filters in the query string stay.
 */
export async function Pager({ page, pages, query, path, testId }: { page: number; pages: number; query: URLSearchParams; path: string; testId: string }) {
  if (pages <= 1) return null;
  const t = await getTranslations('admin');
  const href = (n: number) => {
    const q = new URLSearchParams(query);
    if (n === 1) q.delete('page');
    else q.set('page', String(n));
    const s = q.toString();
    return `${path}${s ? `?${s}` : ''}`;
  };
  const around = [...new Set([1, page - 2, page - 1, page, page + 1, page + 2, pages])].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
  const link = 'inline-flex min-w-11 items-center justify-center rounded-lg border border-slate-300 px-3 py-2 text-sky-900 hover:border-sky-600';
  const items: { key: string; node: React.ReactNode }[] = [];
  if (page > 1) items.push({ key: 'prev', node: <a className={link} href={href(page - 1)} rel="prev" data-testid={`${testId}-previous`}>{t('audit.previous')}</a> });
  around.forEach((n, i) => {
    if (i > 0 && n - around[i - 1]! > 1) items.push({ key: `gap-${n}`, node: <span className="px-1 text-slate-600" aria-hidden="true">…</span> });
    items.push({
      key: `p-${n}`,
      node:
        n === page ? (
          <span aria-current="page" className={`${link} border-sky-700 bg-sky-700 font-semibold text-white`}>
            <span className="sr-only">{t('audit.pageN', { page: n })}</span>
            <span aria-hidden="true">{n}</span>
          </span>
        ) : (
          <a className={link} href={href(n)} aria-label={t('audit.pageN', { page: n })} data-testid={`${testId}-page-${n}`}>
            {n}
          </a>
        ),
    });
  });
  if (page < pages) items.push({ key: 'next', node: <a className={link} href={href(page + 1)} rel="next" data-testid={`${testId}-next`}>{t('audit.next')}</a> });
  return (
    <nav aria-label={t('audit.pageOf', { page, pages })} className="mt-4" data-testid={`${testId}-pages`}>
      <ul className="flex flex-wrap items-center gap-2">
        {items.map((item) => (
          <li key={item.key}>{item.node}</li>
        ))}
      </ul>
    </nav>
  );
}
