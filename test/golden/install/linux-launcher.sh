#!/bin/sh
# jp.hpkilogin.host launcher, written by hpki-login
exec '/usr/bin/node' '/opt/hpki-login/bin/hpki-login.js' 'host' '--backend' 'mock' '--card' '/home/doctor/cards/yamada card.json'
