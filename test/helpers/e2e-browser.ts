/**
 * What an end-to-end scenario needs from a browser with the extension, whatever drives it: Chromium
 * through Playwright, Firefox through puppeteer over WebDriver BiDi. Scenarios are written once
 * against this and run in both browsers.
 */

export type BrowserName = 'chromium' | 'firefox';

export interface E2ePage {
  goto(url: string): Promise<void>;
  /** The document's own `location.href` (BiDi reports extension windows as about:blank). */
  href(): Promise<string>;
  waitForSelector(selector: string, timeoutMs?: number): Promise<void>;
  click(selector: string): Promise<void>;
  /**
   * A real click in the page's top-left corner, away from any control: the page then has a user
   * activation, as after any click of the user's (the page API's authenticate needs one).
   */
  activate(): Promise<void>;
  /** A click that may close the page under it (the PIN window closes itself): not an error then. */
  clickClosing(selector: string): Promise<void>;
  /** Replaces the input's value, as typing would. */
  fill(selector: string, value: string): Promise<void>;
  /** Types into the input and presses Enter; the page may close under it. */
  submitWithEnter(selector: string, value: string): Promise<void>;
  text(selector: string): Promise<string>;
  inputValue(selector: string): Promise<string>;
  count(selector: string): Promise<number>;
  /** Runs `fn` in the page; its argument crosses to the page as JSON. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  waitForPath(pattern: RegExp, timeoutMs?: number): Promise<void>;
  waitForClose(timeoutMs?: number): Promise<void>;
  screenshot(path: string): Promise<void>;
  /** Gives the page this inner size (CSS pixels), as a window of that inner size would. */
  setViewport(width: number, height: number): Promise<void>;
  close(): Promise<void>;
}

export interface E2eBrowser {
  name: BrowserName;
  newPage(): Promise<E2ePage>;
  /** The next extension page whose path is `path` (e.g. the PIN window, `pin.html`). */
  waitForExtensionPage(path: string, timeoutMs?: number): Promise<E2ePage>;
  /** How many extension pages whose path is `path` are open now. */
  openExtensionPages(path: string): Promise<number>;
  /** Opens an extension page in a tab (Chromium only: BiDi will not navigate to moz-extension://). */
  openExtensionPage?(path: string): Promise<E2ePage>;
  clearCookies(): Promise<void>;
  /** How many native host processes this browser has running now (Chromium only). */
  hostProcesses?(): number;
  /** The process ids of the native hosts this browser runs now (for a test that pauses one). */
  hostPids(): number[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Options for `hpki-login install-host` into the browser's fresh profile (or redirected home). */
  hostArgs: string[];
  /** The store flavour instead of the development build (no loopback development). */
  store?: boolean;
  lang?: 'ja' | 'en';
}

export type Launcher = (options: LaunchOptions) => Promise<E2eBrowser>;

/** Polls `check` until it gives a value, or fails after `timeoutMs`. */
export async function pollFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
