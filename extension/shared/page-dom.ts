import type { Lang, MessageKey, Translate } from './i18n.js';

/**
 * DOM helpers for the extension's own pages. Text goes in through textContent only, so nothing a
 * site or the card supplies (names, issuer, origins) can become markup.
 */

/** Fills every `[data-i18n]` element's text and the document title from the catalog. */
export function localizePage(doc: Document, t: Translate, lang: Lang): void {
  for (const el of doc.querySelectorAll<HTMLElement>('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n as MessageKey);
  }
  const titleKey = doc.documentElement.dataset.i18nTitle;
  if (titleKey !== undefined) doc.title = t(titleKey as MessageKey);
  doc.documentElement.lang = lang;
}

export function requireElement<T extends Element>(root: ParentNode, selector: string, type: new () => T): T {
  const el = root.querySelector(selector);
  if (!(el instanceof type)) throw new Error(`page is missing ${selector}`);
  return el;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: { text?: string; className?: string; attrs?: Record<string, string> } = {},
  children: readonly Node[] = [],
): HTMLElementTagNameMap[K] {
  const el = doc.createElement(tag);
  if (props.text !== undefined) el.textContent = props.text;
  if (props.className !== undefined) el.className = props.className;
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
  for (const child of children) el.append(child);
  return el;
}
