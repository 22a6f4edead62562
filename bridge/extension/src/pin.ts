/**
 * The PIN window: shows the requesting origin (from the browser, via the service worker), the card
 * and the tries left; sends the PIN to the service worker, which passes it to the native host only.
 */
import { chromeApi } from './chrome-api.ts';
import type { PinInfo, PinResult } from './pin-messages.ts';

const promptId = window.location.hash.slice(1);
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const CARD_NAMES: Record<string, string> = {
  hpki: 'HPKIカード（医師資格証など） HPKI card',
  jpki: 'マイナンバーカード（利用者証明用電子証明書） My Number Card',
};

async function ask<T>(message: Record<string, unknown>): Promise<T | undefined> {
  const answer = (await chromeApi.runtime.sendMessage({ ...message, promptId })) as { reply?: T } | undefined;
  return answer?.reply;
}

const MESSAGES: Record<string, string> = {
  pin_locked: '暗証番号がロックされました。 The PIN is locked.',
  card_removed: 'カードが取り外されました。 The card was removed.',
  no_card: 'カードがありません。 No card in the reader.',
  wrong_card_type: '別の種類のカードです。 This is a different kind of card.',
};

function showTries(triesLeft: number) {
  $('tries').textContent = String(triesLeft);
}

async function start() {
  const info = await ask<PinInfo & { status?: string }>({ type: 'pin-info' });
  if (!info || !('origin' in info)) {
    window.close();
    return;
  }
  $('origin').textContent = info.origin;
  $('card').textContent = CARD_NAMES[info.card] ?? info.card;
  showTries(info.triesLeft);
  document.title = `PIN – ${info.origin}`;

  const form = $<HTMLFormElement>('form');
  const input = $<HTMLInputElement>('pin');
  const ok = $<HTMLButtonElement>('ok');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const pin = input.value;
    if (!/^[0-9]{4,16}$/.test(pin)) {
      $('message').textContent = '暗証番号は4〜16桁の数字です。 The PIN is 4–16 digits.';
      return;
    }
    input.value = '';
    ok.disabled = true;
    $('message').textContent = '';
    const result = await ask<PinResult>({ type: 'pin-submit', pin });
    ok.disabled = false;
    if (result?.status === 'retry') {
      showTries(result.triesLeft);
      $('message').textContent = `暗証番号が違います（残り ${result.triesLeft} 回）。 Wrong PIN (${result.triesLeft} tries left).`;
      input.focus();
      return;
    }
    if (result?.status === 'failed' && result.code !== 'cancelled') {
      $('message').textContent = MESSAGES[result.code] ?? `カードの操作に失敗しました。 The card operation failed (${result.code}).`;
      ok.disabled = true;
      setTimeout(() => window.close(), 2500);
      return;
    }
    window.close();
  });
  $('cancel').addEventListener('click', async () => {
    await ask<PinResult>({ type: 'pin-cancel' });
    window.close();
  });
}

void start();
