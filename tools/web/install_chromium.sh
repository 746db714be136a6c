#!/usr/bin/env bash
# The one system package the browser suite (tests/web) needs: Debian's
# chromium-headless-shell, which Playwright launches from /usr/lib/chromium (never
# `playwright install`: it downloads browsers, which this network refuses). Idempotent:
# nothing happens when the browser is already there.
set -euo pipefail
CHROMIUM=/usr/lib/chromium/chromium-headless-shell
[ -x "$CHROMIUM" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
packages=(chromium-headless-shell fonts-liberation)
# Refresh the package lists only when the install needs it (a fresh or stale machine).
if ! $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
fi
test -x "$CHROMIUM" || { echo "no $CHROMIUM after installing chromium-headless-shell" >&2; exit 1; }
