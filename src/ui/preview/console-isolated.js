/* console-isolated.js: runs in Tessera's isolated script world, the only
 * world where the "tesseraConsole" message handler exists. It relays what
 * the main-world hook dispatches and listens itself for uncaught errors and
 * failed resource loads (DOM events reach every world). Tessera validates
 * every message again: the page can forge the events.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(() => {
  'use strict';
  const EVENT_NAME = 'tessera-console-v1';
  const MAX_DETAIL = 8192;
  const handler = window.webkit.messageHandlers.tesseraConsole;
  // A page that logs in a loop must not flood Tessera.
  let budget = 200;

  const post = (payload) => {
    if (budget <= 0)
      return;
    budget--;
    try {
      handler.postMessage(payload);
    } catch (e) {
      /* Nothing useful to do. */
    }
  };

  const send = (level, message, source, line) => {
    post(JSON.stringify({
      level,
      message: String(message).slice(0, 4000),
      source: String(source || '').slice(0, 1000),
      line: Number(line) || 0,
    }));
  };

  document.addEventListener(EVENT_NAME, (event) => {
    const detail = event.detail;
    if (typeof detail === 'string' && detail.length <= MAX_DETAIL)
      post(detail);
  }, true);

  window.addEventListener('error', (event) => {
    if (event instanceof ErrorEvent) {
      send('error', event.message, event.filename, event.lineno);
      return;
    }
    // Resource errors do not bubble, hence the capture phase.
    const target = event.target;
    if (target && target !== window && typeof target.tagName === 'string') {
      const url = target.currentSrc || target.src || target.href || '';
      send('error', 'Failed to load ' + target.tagName.toLowerCase() + ' ' + url, String(url), 0);
    }
  }, true);
})();
