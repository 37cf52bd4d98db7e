/* console-main.js: runs in the page's own script world before any page script.
 *
 * Only this world sees the page's console object, and only the isolated
 * "tessera" world may talk to Tessera; so this forwards what it sees as a
 * plain string in a DOM event, which the isolated world relays. Anything the
 * page dispatches itself is just as untrusted as what this sends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
(() => {
  'use strict';
  const EVENT_NAME = 'tessera-console-v1';
  const MAX_MESSAGE = 4000;
  // Keep our own references: the page may replace the globals later.
  const doc = document;
  const dispatch = EventTarget.prototype.dispatchEvent;
  const CustomEventCtor = CustomEvent;
  const ErrorCtor = Error;
  const stringify = JSON.stringify;
  const objectToString = Object.prototype.toString;

  const describe = (value) => {
    try {
      if (value instanceof ErrorCtor)
        return String(value.name) + ': ' + String(value.message);
      if (typeof value === 'string')
        return value;
      if (typeof value === 'object' && value !== null)
        return stringify(value) ?? objectToString.call(value);
      return String(value);
    } catch (e) {
      return objectToString.call(value);
    }
  };

  // The caller's location is the first frame with a web URL: frames of this
  // script have none.
  const locate = () => {
    const frames = String(new ErrorCtor().stack || '').split('\n');
    for (const frame of frames) {
      const match = /(?:^|@)((?:https?|blob):.+):(\d+):\d+$/.exec(frame);
      if (match)
        return [match[1], Number(match[2])];
    }
    return ['', 0];
  };

  const send = (level, message, source, line) => {
    try {
      const detail = stringify({
        level,
        message: String(message).slice(0, MAX_MESSAGE),
        source: String(source || '').slice(0, 1000),
        line: Number(line) || 0,
      });
      dispatch.call(doc, new CustomEventCtor(EVENT_NAME, { detail }));
    } catch (e) {
      /* A console hook must never break the page. */
    }
  };

  for (const level of ['error', 'warn']) {
    const original = console[level];
    console[level] = function (...args) {
      const [source, line] = locate();
      send(level, args.map(describe).join(' '), source, line);
      return original.apply(this, args);
    };
  }

  window.addEventListener('unhandledrejection', (event) => {
    send('error', 'Unhandled promise rejection: ' + describe(event.reason), '', 0);
  });
})();
