/** Options page: the user's own allow-list in chrome.storage.local (read-only under enterprise policy). */
import './zod-config.ts';
import { originSchema } from '../../protocol.ts';
import { chromeApi } from './chrome-api.ts';
import { managedPolicy } from './managed-policy.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** The enterprise policy, asked again while it says "no policy" (managed-policy.ts: Chromium may say so at start). */
const policy = managedPolicy({ read: (key) => chromeApi.storage.managed.get(key), recheckMs: 2_000 });
chromeApi.storage.onChanged?.addListener((_changes, area) => {
  if (area === 'managed') policy.changed();
});

/** Under policy the page shows the policy's list, read-only: the user's own list does not apply. */
function showManaged(origins: string[]) {
  const textarea = $<HTMLTextAreaElement>('origins');
  $('managed').hidden = false;
  textarea.value = origins.join('\n');
  textarea.readOnly = true;
  $<HTMLButtonElement>('save').disabled = true;
}

async function start() {
  const textarea = $<HTMLTextAreaElement>('origins');
  const managed = await policy.origins();
  if (managed) return showManaged(managed);
  const local = (await chromeApi.storage.local.get('allowedOrigins')).allowedOrigins;
  textarea.value = Array.isArray(local) ? local.join('\n') : '';
  try {
    const packaged = (await (await fetch(chromeApi.runtime.getURL('allowed-origins.json'))).json()) as { allowedOrigins?: string[] };
    if (packaged.allowedOrigins?.length) $('installed').textContent = `インストーラーで登録済み Set by the installer: ${packaged.allowedOrigins.join(', ')}`;
  } catch {
    // none
  }
  $('save').addEventListener('click', async () => {
    if (textarea.readOnly) return;
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
  // A policy that arrives while the page is open still takes it over.
  const watch = setInterval(() => {
    void policy.origins().then((origins) => {
      if (!origins) return;
      clearInterval(watch);
      showManaged(origins);
    });
  }, 2_000);
}

void start();
