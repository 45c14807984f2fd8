import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile } from '../../native-host/virtual-card/index.js';

/**
 * The browser half of `hpki-login demo`: a virtual card made from the portal's mock PKI, the native
 * host registered (in-process virtual card, no reader needed) in a Chromium profile of its own, and
 * Chromium opened on the portal with the development extension. With --no-browser, or without a
 * display, the card and host are made all the same and it prints what to open, and how (xvfb-run
 * where there is no display).
 */

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'bin', 'hpki-login.js');
const EXTENSION_DIR = join(REPO, 'dist', 'extension', 'chrome');
export const DEMO_PIN = '1234';

const BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export interface DemoBrowserPlan {
  cardFile: string;
  profileDir: string;
  browser: string | undefined;
  hasDisplay: boolean;
}

/** The demo card, made on first use; a card locked by 15 wrong PINs is replaced by a fresh one. */
async function ensureDemoCard(cardFile: string, pkiDir: string, log: (line: string) => void): Promise<void> {
  if (existsSync(cardFile)) {
    try {
      const file = loadCardFile(cardFile);
      if (file.kind === 'hpki' && file.applications.auth.pin.retriesLeft > 0) return;
      log(`the demo card was locked by wrong PINs; making a new one`);
    } catch {
      log('the demo card could not be read; making a new one');
    }
  }
  const pki = await loadOrCreateMockPki(pkiDir);
  await createCardFile(cardFile, {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: DEMO_PIN,
  });
}

/** The demo card and browser profile live beside the mock PKI they come from (~/.hpki-login by default). */
export function planDemoBrowser(stateDir = join(homedir(), '.hpki-login')): DemoBrowserPlan {
  return {
    cardFile: join(stateDir, 'demo.card'),
    profileDir: join(stateDir, 'demo-chromium-profile'),
    browser: BROWSERS.find((b) => existsSync(b)),
    hasDisplay: process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY),
  };
}

/** Why no browser is opened, in the steps printed instead; undefined when one is. */
function notOpening(plan: DemoBrowserPlan, open: boolean): string[] | undefined {
  if (!open) return ['--no-browser: no browser opened.'];
  if (plan.browser === undefined) return ['no Chromium or Chrome found to open (Debian: apt install chromium).'];
  if (!plan.hasDisplay)
    return [
      'no display (DISPLAY is not set): no browser opened.',
      'On a machine without a desktop, run the demo on a virtual display: xvfb-run -a hpki-login demo',
      '(in a checkout: xvfb-run -a ./dev demo). On a desktop, run the command below in its terminal.',
    ];
  return undefined;
}

export async function openDemoBrowser(
  portalOrigin: string,
  pkiDir: string,
  options: { plan?: DemoBrowserPlan; log?: (line: string) => void; open?: boolean } = {},
): Promise<void> {
  const plan = options.plan ?? planDemoBrowser(dirname(resolve(pkiDir)));
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  await ensureDemoCard(plan.cardFile, pkiDir, log);
  await run(process.execPath, [
    CLI,
    'install-host',
    '--browser',
    'chromium',
    '--user-data-dir',
    plan.profileDir,
    // The demo opens the development build, which release installs do not let in.
    '--development',
    '--backend',
    'mock',
    '--card',
    plan.cardFile,
  ]);
  const steps = [
    `virtual HPKI card: ${plan.cardFile} (日医 太郎, 医師; PIN ${DEMO_PIN})`,
    `native host registered for the Chromium profile ${plan.profileDir}`,
  ];
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) {
    log(
      [
        ...steps,
        `the development extension is not here (${EXTENSION_DIR}): in a clone, run \`npm run build\` and start the demo again; the npm package carries it, the doctors' packages do not`,
      ].join('\n'),
    );
    return;
  }
  const args = [
    `--user-data-dir=${plan.profileDir}`,
    `--load-extension=${EXTENSION_DIR}`,
    `--disable-extensions-except=${EXTENSION_DIR}`,
    '--no-first-run',
    '--no-default-browser-check',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    `${portalOrigin}/`,
  ];
  const why = notOpening(plan, options.open ?? true);
  if (why !== undefined || plan.browser === undefined) {
    log(
      [
        ...steps,
        ...(why ?? []),
        'To log in, start Chromium with this profile and the extension:',
        `  ${plan.browser ?? 'chromium'} ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`,
        `then press 「HPKIログイン」 on ${portalOrigin}/ and enter the PIN ${DEMO_PIN}.`,
      ].join('\n'),
    );
    return;
  }
  const child = spawn(plan.browser, args, { stdio: 'ignore', detached: true });
  child.unref();
  log(
    [
      ...steps,
      `opened ${plan.browser} on ${portalOrigin}/ — press 「HPKIログイン」 and enter the PIN ${DEMO_PIN}.`,
    ].join('\n'),
  );
}
