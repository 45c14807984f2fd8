@echo off
rem jp.hpkilogin.host launcher, written by hpki-login
"C:\Program Files\nodejs\node.exe" "C:\Program Files\hpki-login\bin\hpki-login.js" "host" "--backend" "pcsc"
