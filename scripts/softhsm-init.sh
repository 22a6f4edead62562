#!/usr/bin/env bash
# A SoftHSM2 token of its own for tests, CI and local trials of the PKCS#11 key store:
#   scripts/softhsm-init.sh DIR [LABEL] [USER_PIN] [SO_PIN]
# writes DIR/softhsm2.conf (tokens under DIR/tokens, nothing in the system token directory),
# initialises a token in the next free slot and prints the environment that points the portal at
# it (KEY=value lines, ready for `export`). Calling it again with another label adds a token.
# Needs Debian's softhsm2 package (apt-get install softhsm2; .ci/run installs it).
set -euo pipefail

dir="${1:?usage: softhsm-init.sh DIR [LABEL] [USER_PIN] [SO_PIN]}"
label="${2:-hpki-sso-test}"
pin="${3:-1234}"
so_pin="${4:-5678}"

if ! command -v softhsm2-util >/dev/null 2>&1; then
  echo "softhsm2-util not found: install SoftHSM2 with 'apt-get install softhsm2' (.ci/run installs it)" >&2
  exit 3
fi
module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  if [ -f "$candidate" ]; then module="$candidate"; break; fi
done
if [ -z "$module" ]; then
  echo "libsofthsm2.so not found: install SoftHSM2 with 'apt-get install softhsm2' (.ci/run installs it)" >&2
  exit 3
fi

mkdir -p "$dir/tokens"
dir="$(cd "$dir" && pwd)"
chmod 700 "$dir/tokens"
cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF

SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null

echo "SOFTHSM2_CONF=$dir/softhsm2.conf"
echo "PKCS11_MODULE=$module"
echo "PKCS11_TOKEN_LABEL=$label"
echo "PKCS11_PIN=$pin"
