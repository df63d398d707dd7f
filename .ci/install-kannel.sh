#!/usr/bin/env bash
# Installs Kannel (bearerbox, smsbox) and its test tools (fakesmsc) from Debian, for the SMS tests.
# Idempotent and non-interactive: does nothing when the binaries are already there. The package's
# init script may start a system bearerbox on ports 13000/13002; the tests run their own boxes on
# free ports with a temp config, so any auto-started instance is stopped again.
set -euo pipefail

if [[ -x /usr/sbin/bearerbox && -x /usr/sbin/smsbox && -x /usr/lib/kannel/test/fakesmsc ]]; then
    echo "kannel: already installed ($(/usr/sbin/bearerbox --version 2>&1 | grep -m1 -o "version \`[^']*'" || true))"
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
# Keep the package's init script from starting daemons during the install (policy-rc.d exit 101 =
# "action forbidden"); only added when no policy is already in place, and removed afterwards.
policy_added=""
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_added="yes"
fi
cleanup() { if [[ -n "$policy_added" ]]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends kannel kannel-extras >/dev/null

# Belt and braces: if something started the system instance anyway, stop it.
if [[ -x /etc/init.d/kannel ]]; then $SUDO /etc/init.d/kannel stop >/dev/null 2>&1 || true; fi

/usr/sbin/bearerbox --version 2>&1 | head -n 3 || true
test -x /usr/lib/kannel/test/fakesmsc
echo "kannel: installed"
