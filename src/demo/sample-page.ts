import type http from 'node:http';

/** What the sample relying party and the sample EHR answer alike: their page shell and their misses. */

function samplePage(title: string, body: string): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{background:#f3f4f6;padding:1rem;overflow:auto}
a.button{display:inline-block;background:#0b5cad;color:#fff;padding:.6rem 1.2rem;border-radius:8px;text-decoration:none;margin-right:.5rem}</style>
</head><body><h1>${title}</h1>${body}</body></html>`;
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function sendPage(res: http.ServerResponse, title: string, body: string) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(samplePage(title, body));
}

export function sendNotFound(res: http.ServerResponse) {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
}
