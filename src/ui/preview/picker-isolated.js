/* picker-isolated.js: picking an element of the page to talk about, in
 * Tessera's isolated script world, the only world where the "tesseraPick"
 * message handler exists. Tessera starts and stops it; while it runs, the
 * element under the pointer is outlined and a click picks it instead of
 * reaching the page. From the keyboard: the arrows go to the parent (Up),
 * the first child (Down) and the siblings (Left, Right), Enter picks.
 * Only the person's own input counts: events the page makes up (not
 * isTrusted) pick nothing. Tessera validates every message again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
var tesseraPicker = (() => {
  'use strict';
  const MAX_HTML = 1000;
  const MAX_DEPTH = 6;
  const BLOCKED = ['mousedown', 'mouseup', 'pointerdown', 'pointerup', 'auxclick',
                   'dblclick', 'contextmenu', 'submit'];
  const handler = window.webkit.messageHandlers.tesseraPick;
  let box = null;
  let style = null;
  let current = null;

  const post = (payload) => {
    try {
      handler.postMessage(JSON.stringify(payload));
    } catch (e) {
      /* Nothing useful to do. */
    }
  };

  /* A selector a person (and a model) can read: ids where there are
   * some, classes, and positions among siblings of the same kind. */
  const describe = (element) => {
    const parts = [];
    for (let node = element; node && node.nodeType === Node.ELEMENT_NODE &&
         node !== document.documentElement && parts.length < MAX_DEPTH; node = node.parentElement) {
      let part = node.localName;
      if (node.id) {
        parts.unshift(part + '#' + CSS.escape(node.id));
        break;
      }
      for (const name of Array.from(node.classList).slice(0, 3))
        part += '.' + CSS.escape(name);
      const parent = node.parentElement;
      if (parent) {
        const same = Array.from(parent.children).filter((c) => c.localName === node.localName);
        if (same.length > 1)
          part += ':nth-of-type(' + (same.indexOf(node) + 1) + ')';
      }
      parts.unshift(part);
    }
    return parts.join(' > ');
  };

  /* Its markup, or only its opening tag when that is too long. */
  const markup = (element) => {
    const html = element.outerHTML;
    if (html.length <= MAX_HTML)
      return html;
    const tag = element.cloneNode(false).outerHTML.replace(/<\/[^>]*>$/, '');
    return tag.slice(0, MAX_HTML) + '…';
  };

  const block = (event) => {
    event.preventDefault();
    event.stopPropagation();
    event.stopImmediatePropagation();
  };

  const outline = (element) => {
    current = element;
    const rect = element.getBoundingClientRect();
    Object.assign(box.style, {
      borderWidth: '2px',
      top: rect.top + 'px',
      left: rect.left + 'px',
      width: rect.width + 'px',
      height: rect.height + 'px',
    });
  };

  const onMove = (event) => {
    const target = event.target;
    if (event.isTrusted && target && target.nodeType === Node.ELEMENT_NODE)
      outline(target === document.documentElement ? document.body : target);
  };

  const pick = (element) => {
    stop();
    post({ selector: describe(element), html: markup(element) });
  };

  /* What is outlined has moved with the page. */
  const onScroll = () => {
    if (current)
      outline(current);
  };

  const onClick = (event) => {
    block(event);
    const target = event.target;
    if (event.isTrusted && target && target.nodeType === Node.ELEMENT_NODE)
      pick(target);
  };

  /* Where the keyboard starts: what is in the middle of the view. */
  const start_element = () => {
    const middle = document.elementFromPoint(window.innerWidth / 2, window.innerHeight / 2);
    if (middle && middle !== document.documentElement)
      return middle;
    return document.body;
  };

  /* Each step goes past the picker's own outline and style. */
  const MOVES = {
    ArrowUp: (element) => element.parentElement !== document.documentElement ? element.parentElement : null,
    ArrowDown: (element) => element.firstElementChild,
    ArrowLeft: (element) => element.previousElementSibling,
    ArrowRight: (element) => element.nextElementSibling,
  };
  const step = (key, element) => {
    let next = MOVES[key](element);
    while (next && (next === box || next === style))
      next = key === 'ArrowLeft' ? next.previousElementSibling : next.nextElementSibling;
    return next;
  };

  const onKey = (event) => {
    if (!event.isTrusted)
      return;
    if (event.key === 'Escape') {
      block(event);
      stop();
      post({ cancel: true });
    } else if (event.key === 'Enter' && current) {
      block(event);
      pick(current);
    } else if (event.key in MOVES) {
      block(event);
      const next = current ? step(event.key, current) : start_element();
      if (next) {
        outline(next);
        next.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      }
    }
  };

  const start = () => {
    if (box !== null)
      return;
    box = document.createElement('div');
    Object.assign(box.style, {
      position: 'fixed',
      pointerEvents: 'none',
      zIndex: '2147483647',
      boxSizing: 'border-box',
      border: '0 solid #3584e4',
      borderRadius: '3px',
      background: 'rgba(53, 132, 228, 0.15)',
      top: '0', left: '0', width: '0', height: '0',
    });
    style = document.createElement('style');
    style.textContent = '* { cursor: crosshair !important; }';
    document.documentElement.append(box, style);
    window.addEventListener('mousemove', onMove, true);
    window.addEventListener('click', onClick, true);
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('scroll', onScroll, true);
    for (const type of BLOCKED)
      window.addEventListener(type, block, true);
  };

  const stop = () => {
    if (box === null)
      return;
    box.remove();
    style.remove();
    box = style = current = null;
    window.removeEventListener('mousemove', onMove, true);
    window.removeEventListener('click', onClick, true);
    window.removeEventListener('keydown', onKey, true);
    window.removeEventListener('scroll', onScroll, true);
    for (const type of BLOCKED)
      window.removeEventListener(type, block, true);
  };

  return { start, stop };
})();
