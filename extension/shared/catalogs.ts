import en from '../_locales/en/messages.json' with { type: 'json' };
import ja from '../_locales/ja/messages.json' with { type: 'json' };
import type { Catalog, Lang, Translate } from './i18n.js';
import { catalogTranslator } from './i18n.js';

/** Both catalogs, bundled into the background so it can answer a page in the language the page asked for. */
export const CATALOGS: Readonly<Record<Lang, Catalog>> = { ja, en };

export function translatorFor(lang: Lang): Translate {
  return catalogTranslator(CATALOGS[lang]);
}
