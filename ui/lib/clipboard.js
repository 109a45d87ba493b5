import { h } from './dom.js';

/**
 * Copies text. navigator.clipboard needs a secure context (https or localhost); a relay opened over plain
 * http on another host falls back to a hidden textarea and execCommand('copy').
 */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', { class: 'offscreen', 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('The browser refused to copy.');
}

/** A button that copies what `getText()` returns (it may be async) and says whether that worked. */
export function copyButton(label, getText, props = {}) {
  const button = h('button', { type: 'button', class: 'copy', ...props }, label);
  button.addEventListener('click', async () => {
    try {
      await copyText(await getText());
      flash(button, 'Copied', label);
    } catch (error) {
      flash(button, `Copy failed: ${error.message}`, label);
    }
  });
  return button;
}

function flash(button, message, label) {
  button.textContent = message;
  button.dataset.copied = message === 'Copied' ? 'yes' : 'no';
  setTimeout(() => {
    button.textContent = label;
    delete button.dataset.copied;
  }, 1500);
}
