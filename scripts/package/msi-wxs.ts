import { NATIVE_HOST_NAME } from '../../protocol/messages.js';

/**
 * The WiX source of the MSI, for `wixl` (msitools): a per-machine x64 package that installs the
 * application folder under Program Files (the file components come from `wixl-heat`) and one
 * registry component with the HKLM keys through which each browser finds its host manifest.
 * Windows Installer removes every file and value it installed on uninstall.
 */

/** Fixed for every version: Windows Installer recognises later versions of the product by it. */
export const UPGRADE_CODE = '6B0F3C2E-5D1A-4F7B-9E3C-2A8D4C6B1F05';
export const PRODUCT_NAME = 'HPKI Login';
export const INSTALL_FOLDER = 'HPKI Login';

/** The manifests, in the install folder beside the launcher they name (relative `path`). */
export const CHROME_MANIFEST = `${NATIVE_HOST_NAME}.chrome.json`;
export const FIREFOX_MANIFEST = `${NATIVE_HOST_NAME}.firefox.json`;
export const MSI_LAUNCHER = 'hpki-login-host.cmd';

export interface MsiRegistryKey {
  /** Below HKEY_LOCAL_MACHINE. */
  key: string;
  /** The manifest file, in the install folder, that the key's default value names. */
  manifest: string;
  browsers: string;
}

/**
 * Chrome reads `SOFTWARE\Google\Chrome`, a Chromium build `SOFTWARE\Chromium` (its product path),
 * Edge `SOFTWARE\Microsoft\Edge` (first, then Chrome's), Firefox `SOFTWARE\Mozilla`. Chrome, Chromium
 * and Edge share one manifest: Edge stops at the first manifest it finds, so that manifest lists the
 * ids of both stores.
 */
export const MSI_REGISTRY_KEYS: readonly MsiRegistryKey[] = [
  {
    key: `SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\${NATIVE_HOST_NAME}`,
    manifest: CHROME_MANIFEST,
    browsers: 'Google Chrome',
  },
  {
    key: `SOFTWARE\\Chromium\\NativeMessagingHosts\\${NATIVE_HOST_NAME}`,
    manifest: CHROME_MANIFEST,
    browsers: 'Chromium',
  },
  {
    key: `SOFTWARE\\Microsoft\\Edge\\NativeMessagingHosts\\${NATIVE_HOST_NAME}`,
    manifest: CHROME_MANIFEST,
    browsers: 'Microsoft Edge',
  },
  {
    key: `SOFTWARE\\Mozilla\\NativeMessagingHosts\\${NATIVE_HOST_NAME}`,
    manifest: FIREFOX_MANIFEST,
    browsers: 'Firefox',
  },
];

function xmlAttr(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export interface ProductFields {
  /** The package version, `major.minor.patch`. */
  version: string;
  nodeVersion: string;
}

function registryComponent(): string {
  const values = MSI_REGISTRY_KEYS.map(
    (k, i) =>
      `        <RegistryValue Id="HostKey${i}" Root="HKLM" Key="${xmlAttr(k.key)}" Type="string" Value="[INSTALLDIR]${k.manifest}"${i === 0 ? ' KeyPath="yes"' : ''}/>`,
  );
  return [
    '    <DirectoryRef Id="INSTALLDIR">',
    '      <Component Id="HostRegistration" Guid="3F9A2C71-8B4E-4D0A-A6C5-1E7B9D2F4C83" Win64="yes">',
    ...values,
    '      </Component>',
    '    </DirectoryRef>',
  ].join('\n');
}

export function productWxs(f: ProductFields): string {
  if (!/^\d+\.\d+\.\d+$/.test(f.version)) throw new RangeError(`an MSI version is major.minor.patch, not ${f.version}`);
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="${PRODUCT_NAME}" Language="1033" Version="${f.version}" Manufacturer="HPKI Login"
           UpgradeCode="${UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Description="${PRODUCT_NAME} ${f.version}: native messaging host ${NATIVE_HOST_NAME}"
             Comments="HPKI card login for Chrome, Chromium, Edge and Firefox, with Node.js ${xmlAttr(f.nodeVersion)}"/>
    <MajorUpgrade DowngradeErrorMessage="A newer version of ${PRODUCT_NAME} is already installed."/>
    <Media Id="1" Cabinet="hpki.cab" EmbedCab="yes"/>
    <Property Id="ARPURLINFOABOUT" Value="https://hpkilogin.jp/"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLDIR" Name="${INSTALL_FOLDER}"/>
      </Directory>
    </Directory>
${registryComponent()}
    <Feature Id="Host" Level="1" Title="${PRODUCT_NAME}">
      <ComponentGroupRef Id="AppFiles"/>
      <ComponentRef Id="HostRegistration"/>
    </Feature>
  </Product>
</Wix>
`;
}
