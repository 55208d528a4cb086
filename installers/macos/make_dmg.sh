#!/usr/bin/env bash
# Make a compressed, read-only disk image holding an .app and a link to /Applications (drag to install).
#
#   installers/macos/make_dmg.sh "dist/Copilot Insight.app" dist/copilot-insight-X.Y.Z-macos-arm64.dmg "Copilot Insight X.Y.Z"
#
# Uses hdiutil only (no third-party tool). Uninstalling is dragging the app to the Bin: the data in
# ~/Library/Application Support/copilot-insight and the keychain entry "copilot-insight" stay until
# the user deletes them; "Launch at login" is a LaunchAgent the app removes when the setting is off.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 APP DMG VOLUME_NAME" >&2
  exit 2
fi
app="$1"
dmg="$2"
volume="$3"
[ -d "$app" ] || { echo "no such app bundle: $app" >&2; exit 1; }

staging="$(mktemp -d "${TMPDIR:-/tmp}/copilot-insight-dmg.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
# ditto keeps the bundle's symlinks, extended attributes and code signatures intact.
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"

rm -f "$dmg"
hdiutil create -volname "$volume" -srcfolder "$staging" -fs HFS+ -format UDZO -imagekey zlib-level=9 \
  -ov "$dmg"
hdiutil verify "$dmg"
