/** Options page: the user's own allow-list in chrome.storage.local (read-only under enterprise policy). */
import './zod-config.ts';
import { originSchema } from '../../protocol.ts';
import { chromeApi } from './chrome-api.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function start() {
  const textarea = $<HTMLTextAreaElement>('origins');
  let managed: unknown;
  try {
    managed = (await chromeApi.storage.managed.get('allowedOrigins')).allowedOrigins;
  } catch {
    managed = undefined;
  }
  if (Array.isArray(managed)) {
    $('managed').hidden = false;
    textarea.value = managed.join('\n');
    textarea.readOnly = true;
    $<HTMLButtonElement>('save').disabled = true;
    return;
  }
  const local = (await chromeApi.storage.local.get('allowedOrigins')).allowedOrigins;
  textarea.value = Array.isArray(local) ? local.join('\n') : '';
  try {
    const packaged = (await (await fetch(chromeApi.runtime.getURL('allowed-origins.json'))).json()) as { allowedOrigins?: string[] };
    if (packaged.allowedOrigins?.length) $('installed').textContent = `インストーラーで登録済み Set by the installer: ${packaged.allowedOrigins.join(', ')}`;
  } catch {
    // none
  }
  $('save').addEventListener('click', async () => {
    const lines = textarea.value.split('\n').map((l) => l.trim()).filter(Boolean);
    const bad = lines.filter((l) => !originSchema.safeParse(l).success);
    if (bad.length) {
      $('message').textContent = `オリジンではありません Not an origin: ${bad.join(', ')}`;
      return;
    }
    await chromeApi.storage.local.set({ allowedOrigins: lines });
    $('message').textContent = '保存しました Saved';
  });
  // Disabled in the HTML until now: the policy read takes seconds, and a click before this would be lost.
  $<HTMLButtonElement>('save').disabled = false;
}

void start();
