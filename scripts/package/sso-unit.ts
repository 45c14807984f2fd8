/**
 * The systemd unit the .deb ships for the provider (`hpki-login sso`, docs/sso.md "systemd"). Not
 * enabled on install: the operator writes /etc/hpki-login/sso.env and the clients file first. The
 * process runs as a dynamic user with a read-only system, no home, no devices, no new privileges,
 * and only the address families and system calls a network service needs; its keys live in its
 * state directory, its clients file comes in as a credential (it may hold client secrets).
 */

export const SSO_UNIT_PATH = '/usr/lib/systemd/system/hpki-login-sso.service';

export function ssoUnit(node: string, cli: string): string {
  return `[Unit]
Description=HPKI Login single sign-on (OpenID Provider over the HPKI card)
After=network-online.target redis-server.service
Wants=network-online.target

[Service]
Type=simple
# HPKI_LOGIN_SSO_ISSUER, HPKI_LOGIN_REDIS_URL and HPKI_LOGIN_SSO_OPTIONS (see docs/sso.md).
EnvironmentFile=/etc/hpki-login/sso.env
LoadCredential=clients.json:/etc/hpki-login/sso-clients.json
ExecStart=${node} ${cli} sso --issuer \${HPKI_LOGIN_SSO_ISSUER} --clients \${CREDENTIALS_DIRECTORY}/clients.json --keys \${STATE_DIRECTORY}/keys.json $HPKI_LOGIN_SSO_OPTIONS
Restart=on-failure
RestartSec=2s
TimeoutStopSec=20s
StateDirectory=hpki-login-sso
StateDirectoryMode=0700
UMask=0077

DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=no
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
CapabilityBoundingSet=
AmbientCapabilities=
DevicePolicy=closed
RemoveIPC=yes

[Install]
WantedBy=multi-user.target
`;
}
