/** The language of a page for people: Japanese unless the browser prefers English (Accept-Language). */
export type PageLang = 'ja' | 'en';

/** A text in both page languages. */
export interface Bilingual {
  ja: string;
  en: string;
}

const MAX_HEADER = 512;
const MAX_RANGES = 32;

function rangeLang(tag: string): PageLang | undefined {
  if (tag === 'ja' || tag.startsWith('ja-')) return 'ja';
  if (tag === 'en' || tag.startsWith('en-')) return 'en';
  return undefined;
}

/**
 * The page language for an Accept-Language header: the one of ja and en with the highest q (the
 * first on a tie), ja when neither is named. Bounded: only the header's first 512 characters and 32
 * ranges are read.
 */
export function pageLanguage(header: string | string[] | undefined): PageLang {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  let best: { lang: PageLang; q: number } | undefined;
  for (const range of value.slice(0, MAX_HEADER).split(',').slice(0, MAX_RANGES)) {
    const [tag = '', ...params] = range.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const lang = rangeLang(tag.trim());
    if (lang === undefined || !Number.isFinite(q) || q <= 0) continue;
    if (best === undefined || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'ja';
}
