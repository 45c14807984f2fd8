import type { Text } from './findings.js';

/**
 * Every text `hpki-login doctor` prints, in Japanese and English, in one table: a message per
 * finding id (a finding with two wordings has a second entry `<finding id>.<variant>`), a fix per
 * `fix.*` id, and the report's summary lines. `{name}` is a placeholder that `text()` fills;
 * both languages of an entry use the same placeholders (checked by test/unit/native-host/doctor/doctor-texts.test.ts).
 */
export const TEXTS = {
  // The card path: pcscd, readers, the card.
  'pcscd.running': { ja: 'pcscd は動作しています。', en: 'pcscd is running.' },
  'pcscd.socket-activated': {
    ja: 'pcscd はソケット起動で待機しています。',
    en: 'pcscd is waiting on its socket (started on demand).',
  },
  'pcscd.not-running': {
    ja: 'pcscd (スマートカードサービス) が動作していません。',
    en: 'pcscd (the smart card service) is not running.',
  },
  'readers.unavailable': {
    ja: 'カードリーダーの一覧を取得できません ({code}): {message}',
    en: 'Cannot list card readers ({code}): {message}',
  },
  'readers.none': { ja: 'カードリーダーが接続されていません。', en: 'No card reader is connected.' },
  'readers.found': { ja: 'カードリーダー: {names}', en: 'Card readers: {names}' },
  'card.none': { ja: 'カードが挿入されていません。', en: 'No card is inserted.' },
  'card.my-number': {
    ja: '{reader} のカードはマイナンバーカードです。HPKI カードではありません。',
    en: 'The card in {reader} is a My Number card, not an HPKI card.',
  },
  'card.unknown': {
    ja: '{reader} のカードは HPKI カードとして認識できません。',
    en: 'The card in {reader} is not recognised as an HPKI card.',
  },
  'card.hpki': { ja: '{reader} に HPKI カードがあります。', en: 'HPKI card found in {reader}.' },

  // The certificate ({who}: name, Japanese name, role) and the PIN counter.
  'certificate.unreadable': {
    ja: '認証用証明書を読み取れません{detail}。',
    en: 'Cannot read the authentication certificate{detail}.',
  },
  'certificate.expired': {
    ja: '証明書 ({who}) は {until} に有効期限が切れています。',
    en: 'The certificate ({who}) expired on {until}.',
  },
  'certificate.not-yet-valid': {
    ja: '証明書 ({who}) は {from} まで有効になりません。',
    en: 'The certificate ({who}) is not valid before {from}.',
  },
  'certificate.expires-soon': {
    ja: '証明書 ({who}) はあと {days} 日 ({until}) で期限切れになります。',
    en: 'The certificate ({who}) expires in {days} days ({until}).',
  },
  'certificate.valid': {
    ja: '証明書 ({who}) は {until} まで有効です。',
    en: 'The certificate ({who}) is valid until {until}.',
  },
  'pin.blocked': { ja: 'PIN がロックされています。', en: 'The PIN is blocked.' },
  'pin.low': { ja: 'PIN の残り試行回数は {left} 回です。', en: 'Only {left} PIN tries are left.' },
  'pin.ok': { ja: 'PIN の残り試行回数: {left}/{max}', en: 'PIN tries left: {left}/{max}' },

  // The installation: host manifests, launchers, PKCS#11 modules.
  'manifest.missing': {
    ja: '{browser} 用のネイティブホストは未登録です。',
    en: 'The native host is not installed for {browser}.',
  },
  'manifest.invalid': {
    ja: '{path} はネイティブホストのマニフェストとして読めません。',
    en: '{path} is not a readable native host manifest.',
  },
  'manifest.wrong-name': {
    ja: '{path} の name が jp.hpkilogin.host ではありません。',
    en: '{path} does not name jp.hpkilogin.host.',
  },
  'manifest.present': { ja: '{browser} のホスト登録: {path}', en: '{browser} host manifest: {path}' },
  'manifest.firefox-id': {
    ja: '{path} は拡張機能 {id} を許可していません。',
    en: '{path} does not allow the extension {id}.',
  },
  'manifest.ids-missing': {
    ja: '{path} は次の拡張機能を許可していません: {missing}',
    en: '{path} does not allow: {missing}',
  },
  'manifest.none': {
    ja: 'どのブラウザにもネイティブホストが登録されていません。拡張機能はカードを使えません。',
    en: 'The native host is not installed for any browser: the extension cannot reach the card.',
  },
  'manifest.development-id': {
    ja: '{path} は開発版の拡張機能 ({ids}) を許可しています。開発版の鍵はリポジトリで公開されているため、どの拡張機能でも同じ ID を名乗って、好きなサイト向けの署名をカードにさせることができます。',
    en: '{path} lets in the development build of the extension ({ids}), whose key is public in the repository: any extension can take that id and have the card sign for a site of its choosing.',
  },
  'ids.unset': {
    ja: 'manifests/extension-ids.json に公開済みの Chrome 拡張機能 ID がありません。',
    en: 'manifests/extension-ids.json lists no published Chrome extension id.',
  },
  'launcher.missing': {
    ja: '{manifest} が指す起動スクリプト {launcher} がありません。',
    en: 'The launcher {launcher} named by {manifest} does not exist.',
  },
  'launcher.not-executable': {
    ja: '起動スクリプト {launcher} に実行権限がありません。',
    en: 'The launcher {launcher} is not executable.',
  },
  'launcher.target-missing': {
    ja: '起動スクリプト {launcher} が起動するファイルがありません: {files}',
    en: 'The launcher {launcher} starts files that no longer exist: {files}',
  },
  'launcher.ok': { ja: '起動スクリプト {launcher} は実行できます。', en: 'The launcher {launcher} is executable.' },
  'pkcs11.error': {
    ja: 'PKCS#11 モジュール {module} を使えません ({code}): {message}',
    en: 'The PKCS#11 module {module} cannot be used ({code}): {message}',
  },
  'pkcs11.ok': {
    ja: 'PKCS#11 モジュール {module}: スロット {slots}、カード {cards}',
    en: 'PKCS#11 module {module}: {slots} slots, {cards} cards',
  },

  // The runtime ({runtime}: "Node.js <version> (<path>)"; {since}: " (<date>)" or nothing).
  'runtime.end-of-life': {
    ja: '実行環境 {runtime} はサポートが終了しています{since}。セキュリティ修正が提供されません。',
    en: 'The runtime {runtime} is end-of-life{since}: it gets no security fixes.',
  },
  'runtime.supported': {
    ja: '実行環境: {runtime}、サポート期限 {until}',
    en: 'Runtime: {runtime}, supported until {until}',
  },
  'runtime.supported.until-unknown': {
    ja: '実行環境: {runtime}、サポート期限 未定',
    en: 'Runtime: {runtime}, supported',
  },

  // Fixes.
  'fix.start-pcscd': {
    ja: 'sudo systemctl enable --now pcscd.socket を実行してください (パッケージ pcscd が必要)。',
    en: 'Run: sudo systemctl enable --now pcscd.socket (needs the pcscd package).',
  },
  'fix.macos-smart-card-service': {
    ja: 'macOS の PC/SC は OS に内蔵されています。リーダーを抜き差しし、直らなければ Mac を再起動してください。',
    en: 'macOS has PC/SC built in: unplug and plug in the reader; if that does not help, restart the Mac.',
  },
  'fix.windows-smart-card-service': {
    ja: 'IC カードリーダーを接続してください (Windows はリーダーの接続時にスマート カード サービス SCardSvr を起動します)。接続済みなら、サービス「スマート カード」が無効になっていないか確認してください。',
    en: 'Plug in the card reader (Windows starts its Smart Card service, SCardSvr, when a reader is connected); if it is connected, check that the "Smart Card" service is not disabled.',
  },
  'fix.plug-in-reader': {
    ja: 'IC カードリーダーを USB に接続してください。接続済みなら抜き差ししてください。',
    en: 'Plug in a smart card reader; if it is plugged in, unplug and plug it in again.',
  },
  'fix.insert-card': {
    ja: '医師資格証 (HPKI カード) をリーダーに挿入してください。',
    en: 'Insert your HPKI card (医師資格証) into the reader.',
  },
  'fix.insert-hpki-card': {
    ja: '医師資格証 (HPKI カード) を挿入してください。',
    en: 'Insert your HPKI card (医師資格証) instead.',
  },
  'fix.reinsert-card': {
    ja: 'カードの向きと種類を確認し、挿し直してください。',
    en: 'Check the card type and orientation, and insert it again.',
  },
  'fix.reinsert-or-contact-issuer': {
    ja: 'カードを挿し直してください。続く場合は発行元に問い合わせてください。',
    en: 'Insert the card again; if this persists, contact the card issuer.',
  },
  'fix.renew-certificate': {
    ja: '発行元 (日本医師会など) で証明書を更新してください。',
    en: 'Renew the certificate with its issuer (e.g. the Japan Medical Association).',
  },
  'fix.check-clock': {
    ja: 'コンピューターの日付と時刻を確認してください。',
    en: "Check this computer's date and time.",
  },
  'fix.unblock-pin': {
    ja: '発行元で PIN ロック解除の手続きをしてください (日本医師会: PIN閉塞解除)。',
    en: 'Ask the issuer to unblock it (JMA: PIN閉塞解除 by mail).',
  },
  'fix.do-not-guess-pin': {
    ja: 'PIN が分からない場合は入力せず、発行元に問い合わせてください。',
    en: 'If unsure of the PIN, do not guess: contact the issuer.',
  },
  'policy.user-hosts-disabled': {
    ja: '{browser} はポリシー NativeMessagingUserLevelHosts=0 ({sources}) により、利用者ごとのホスト登録を読みません。',
    en: 'A policy (NativeMessagingUserLevelHosts=0, {sources}) makes {browser} ignore per-user host registrations.',
  },
  'policy.user-hosts-blocked': {
    ja: '{browser} のホスト登録は利用者ごとのものだけですが、ポリシー NativeMessagingUserLevelHosts=0 ({sources}) により使われません。',
    en: '{browser} has only a per-user host registration, which the policy NativeMessagingUserLevelHosts=0 ({sources}) makes it ignore.',
  },
  'fix.install-per-machine': {
    ja: 'コンピューター全体にインストールしてください (Windows: MSI、Debian/Ubuntu: .deb、その他: hpki-login install-host --system --browser {browser})。',
    en: 'Install for the whole machine (Windows: the MSI; Debian/Ubuntu: the .deb; otherwise: hpki-login install-host --system --browser {browser}).',
  },
  'fix.reinstall-host': {
    ja: 'hpki-login install-host --browser {browser} を実行し直してください。',
    en: 'Run hpki-login install-host --browser {browser} again.',
  },
  'fix.install-host-for-browser': {
    ja: '{browser} を使う場合: hpki-login install-host --browser {browser}',
    en: 'If you use {browser}: hpki-login install-host --browser {browser}',
  },
  'fix.install-host': {
    ja: 'hpki-login install-host --browser <ブラウザ> を実行してください。',
    en: 'Run hpki-login install-host --browser <browser>.',
  },
  'fix.untrust-development': {
    ja: '開発用の環境でなければ、--development を付けずに {command} を実行し直してください。',
    en: 'Unless this is a development machine, run {command} again without --development.',
  },
  'fix.untrust-development.system': {
    ja: '開発用の環境でなければ、hpki-login パッケージを更新するか、--development を付けずに {command} を実行し直してください。',
    en: 'Unless this is a development machine, update the hpki-login package, or run {command} again without --development.',
  },
  'fix.chmod-launcher': {
    ja: "chmod 755 '{launcher}' を実行するか、install-host をやり直してください。",
    en: "Run chmod 755 '{launcher}', or install-host again.",
  },
  'fix.use-build-with-ids': {
    ja: '公開済みの拡張機能 ID を登録したビルドを使ってください。',
    en: 'Use a build whose extension-ids.json has the published extension ids.',
  },
  'fix.check-pkcs11-module': {
    ja: 'モジュールのパスと、ベンダーのドライバーのインストールを確認してください。',
    en: "Check the module path and that the vendor's driver is installed.",
  },
  'fix.update-package': {
    ja: '最新の hpki-login パッケージ (Node.js 24 LTS 同梱) に更新してください。',
    en: 'Update to the latest hpki-login package (it bundles Node.js 24 LTS).',
  },

  // The report's last line.
  'summary.no-errors': { ja: '問題なし (警告 {warnings})', en: 'no errors ({warnings} warnings)' },
  'summary.no-errors-one-warning': { ja: '問題なし (警告 1)', en: 'no errors (1 warning)' },
  'summary.errors': { ja: 'エラー {errors} 件', en: '{errors} errors' },
  'summary.one-error': { ja: 'エラー 1 件', en: '1 error' },
} as const satisfies Record<string, Text>;

export type TextId = keyof typeof TEXTS;

/** The placeholder names in a text, e.g. "{reader} in {path}" → "reader" | "path". */
type Placeholders<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;
type ParamsOf<I extends TextId> = Placeholders<(typeof TEXTS)[I]['en'] | (typeof TEXTS)[I]['ja']>;
type TextParams<I extends TextId> = Record<ParamsOf<I>, string | number>;

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** The placeholder names in a text, in order of appearance (repeats kept). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

function fill(id: string, template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`doctor text '${id}' needs the parameter {${name}}`);
    return String(value);
  });
}

/**
 * The text `id` in both languages with its placeholders filled. The compiler asks for exactly the
 * placeholders of the entry; a missing one still throws at run time rather than print "{name}".
 */
export function text<I extends TextId>(id: I, ...params: ParamsOf<I> extends never ? [] : [TextParams<I>]): Text {
  const entry: Text = TEXTS[id];
  const values: Readonly<Record<string, string | number>> = params[0] ?? {};
  return { ja: fill(id, entry.ja, values), en: fill(id, entry.en, values) };
}
