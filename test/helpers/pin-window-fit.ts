import type { E2ePage } from './e2e-browser.js';

/** The PIN window's inner size on a desktop: 440×640 (PIN_WINDOW_SIZE) less a title bar. */
export const PIN_WINDOW_INNER = { width: 440, height: 600 } as const;

/**
 * Gives the PIN window its real inner size and lists what does not fit: a document that scrolls, and
 * each of `selectors` that is missing, hidden, or not wholly inside the viewport. Empty when it fits.
 */
export async function pinWindowMisfits(pin: E2ePage, selectors: string[]): Promise<string[]> {
  await pin.setViewport(PIN_WINDOW_INNER.width, PIN_WINDOW_INNER.height);
  return pin.evaluate(async (wanted) => {
    // Two frames: the layout at the new size is done.
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const misfits: string[] = [];
    const root = document.documentElement;
    const view = { width: root.clientWidth, height: root.clientHeight };
    if (root.scrollHeight > view.height) misfits.push(`document scrolls: ${root.scrollHeight} > ${view.height} px`);
    if (root.scrollWidth > view.width) misfits.push(`document scrolls sideways: ${root.scrollWidth} > ${view.width}`);
    for (const selector of wanted) {
      const els = [...document.querySelectorAll<HTMLElement>(selector)];
      if (els.length === 0) misfits.push(`${selector}: missing`);
      for (const el of els) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) misfits.push(`${selector}: not shown`);
        else if (box.left < 0 || box.top < 0 || box.right > view.width || box.bottom > view.height)
          misfits.push(`${selector}: at ${Math.round(box.top)}–${Math.round(box.bottom)} px of ${view.height}`);
      }
    }
    return misfits;
  }, selectors);
}

/** Where `selector` is drawn in the PIN window, in whole pixels: the same before and after a state change means no jump. */
export function boxOf(pin: E2ePage, selector: string): Promise<{ top: number; left: number; width: number }> {
  return pin.evaluate((wanted) => {
    const box = document.querySelector(wanted)?.getBoundingClientRect();
    return box === undefined
      ? { top: -1, left: -1, width: 0 }
      : { top: Math.round(box.top), left: Math.round(box.left), width: Math.round(box.width) };
  }, selector);
}
