# jp.hpkilogin.host registration, written by hpki-login install-host
param([switch]$Uninstall)
$ErrorActionPreference = 'Stop'
$manifest = 'C:\Users\doctor\AppData\Local\hpki-login\chrome\jp.hpkilogin.host.json'
foreach ($key in @('HKCU:\Software\Google\Chrome\NativeMessagingHosts\jp.hpkilogin.host')) {
  if ($Uninstall) {
    if (Test-Path -LiteralPath $key) { Remove-Item -LiteralPath $key -Recurse }
  } else {
    New-Item -Path $key -Force | Out-Null
    Set-Item -LiteralPath $key -Value $manifest
  }
}
