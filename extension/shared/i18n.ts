import type ja from '../_locales/ja/messages.json';

/**
 * UI text lives only in `_locales/<lang>/messages.json`. Pages use the browser's own lookup (the UI
 * language); the background also formats error messages in the language a page asked for, so it
 * reads the same catalogs with the same placeholder rules as `i18n.getMessage`.
 */

export type MessageKey = keyof typeof ja;
export type Lang = 'ja' | 'en';

/** Looks a message up and fills its `$1`…`$9` substitutions. */
export type Translate = (key: MessageKey, substitutions?: readonly string[]) => string;

export interface CatalogEntry {
  message: string;
  placeholders?: Record<string, { content: string }>;
}
export type Catalog = Record<string, CatalogEntry>;

function fillNumbered(text: string, substitutions: readonly string[]): string {
  return text.replace(/\$(\d)/g, (_, digit: string) => substitutions[Number(digit) - 1] ?? '');
}

/** The same rules as Chrome's and Firefox's `getMessage`: named placeholders, then `$n`, `$$` → `$`. */
export function formatCatalogMessage(entry: CatalogEntry, substitutions: readonly string[] = []): string {
  const placeholders = new Map(Object.entries(entry.placeholders ?? {}).map(([k, v]) => [k.toLowerCase(), v.content]));
  const parts = entry.message.split('$$');
  return parts
    .map((part) =>
      part.replace(/\$([A-Za-z0-9_@]+)\$/g, (whole, name: string) => {
        const content = placeholders.get(name.toLowerCase());
        return content === undefined ? whole : fillNumbered(content, substitutions);
      }),
    )
    .join('$');
}

export function catalogTranslator(catalog: Catalog): Translate {
  return (key, substitutions) => {
    const entry = catalog[key];
    return entry === undefined ? key : formatCatalogMessage(entry, substitutions);
  };
}

export interface I18nApi {
  getMessage(messageName: string, substitutions?: string[] | string): string;
}

export function browserTranslator(i18n: I18nApi): Translate {
  return (key, substitutions) =>
    i18n.getMessage(key, substitutions === undefined ? undefined : [...substitutions]) || key;
}

/** `ja` unless the language tag is English; the extension speaks only these two. */
export function langFromTag(tag: string | undefined): Lang {
  return tag !== undefined && /^en\b/i.test(tag) ? 'en' : 'ja';
}
