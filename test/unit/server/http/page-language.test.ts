import { describe, expect, it } from 'vitest';
import { pageLanguage } from '../../../../server/http/index.js';
import { errorPage, loginPage, logoutPage, messagePage } from '../../../../server/sso/pages.js';

/** The provider's pages speak one language, chosen by Accept-Language, Japanese by default. */

describe('pageLanguage', () => {
  it.each([
    [undefined, 'ja'],
    ['', 'ja'],
    ['*', 'ja'],
    ['fr-FR,fr;q=0.9', 'ja'],
    ['en-US,en;q=0.9', 'en'],
    ['ja,en-US;q=0.8', 'ja'],
    ['en;q=0.5,ja;q=0.8', 'ja'],
    ['de,en;q=0.7,ja;q=0.3', 'en'],
    ['en;q=0', 'ja'],
    ['EN-gb', 'en'],
    [['en', 'ja;q=0.1'], 'en'],
    [`${'x,'.repeat(600)}en`, 'ja'],
  ])('%j → %s', (header, lang) => {
    expect(pageLanguage(header as string | string[] | undefined)).toBe(lang);
  });
});

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('the provider pages in one language', () => {
  const login = (lang: 'ja' | 'en'): string =>
    loginPage({ providerName: 'Provider', clientName: 'Records', abortPath: '/a', again: true, lang });

  it('Japanese: no English sentence, html lang="ja", a subtitle in white on the header', () => {
    const page = login('ja');
    expect(page).toContain('<html lang="ja">');
    expect(page).toContain('ログイン先');
    expect(page).toContain('HPKI シングルサインオン');
    expect(page).not.toMatch(/Signing in|Put your HPKI card|lang="en"/);
  });

  it('English: no Japanese text except the card’s own name, html lang="en"', () => {
    const page = login('en');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain('Signing in to');
    expect(page.replace('医師資格証', '')).not.toMatch(JAPANESE);
  });

  it('message, error and logout pages follow the language too', () => {
    const en = [
      messagePage('P', 'en', { ja: 'お待ちください', en: 'Please wait' }, { ja: '混雑', en: 'Busy' }),
      errorPage('P', 'en', 'invalid_request', 'bad'),
      logoutPage('P', 'en', '<form id="op.logoutForm"></form>', false),
    ];
    for (const page of en) expect(page).not.toMatch(JAPANESE);
    const ja = [
      messagePage('P', 'ja', { ja: 'お待ちください', en: 'Please wait' }, { ja: '混雑', en: 'Busy' }),
      errorPage('P', 'ja', 'invalid_request', 'bad'),
      logoutPage('P', 'ja', '<form id="op.logoutForm"></form>', true),
    ];
    for (const page of ja) expect(page).not.toMatch(/Please wait|Busy|cannot continue|Sign out|Signing out/);
  });
});
