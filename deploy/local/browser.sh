#!/usr/bin/env bash
# Chromium for the browser tests (tests/browser), from Debian's `chromium` package.
# Playwright drives it through its executable path; we never download Playwright's own browsers.
# Usage: browser.sh
#   - Chromium present ($KINERJA_CHROMIUM, default /usr/bin/chromium): says which, exits 0;
#   - missing, and running as root with apt-get: installs the Debian package;
#   - missing otherwise: stops with the command to run. The browser tests are never skipped.
set -euo pipefail

CHROMIUM="${KINERJA_CHROMIUM:-/usr/bin/chromium}"

log() { printf '[browser] %s\n' "$*" >&2; }
die() { printf '[browser] error: %s\n' "$*" >&2; exit 1; }

found() {
  # --version runs no browser, so it needs neither a display nor --no-sandbox as root.
  log "chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo 'version unknown'))"
}

if [[ -x "$CHROMIUM" ]]; then found; exit 0; fi
# A path the user chose is theirs to fix: installing the Debian package would not put it there.
if [[ -n "${KINERJA_CHROMIUM:-}" ]]; then
  die "KINERJA_CHROMIUM=$CHROMIUM is not an executable; point it at a Chromium or unset it for /usr/bin/chromium"
fi
if [[ "$(id -u)" != 0 ]]; then
  die "Chromium is missing, and the browser tests need it. Install Debian's package: sudo apt-get install chromium"
fi
command -v apt-get >/dev/null 2>&1 \
  || die "Chromium is missing and there is no apt-get here: install Chromium and set KINERJA_CHROMIUM to its path"

# Without recommends (printing, notification and power daemons); a font, so that pages render text;
# Pango and HarfBuzz, which WeasyPrint (the web's PDF documents) loads.
log "installing Debian's chromium package (apt-get)"
apt-get update -q || die "apt-get update failed (see the output above)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-liberation \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
  || die "apt-get install chromium failed (see the output above)"
[[ -x "$CHROMIUM" ]] || die "the chromium package installed, but $CHROMIUM is not there"
found
