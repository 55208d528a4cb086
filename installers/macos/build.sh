#!/usr/bin/env bash
# Build the macOS release of Copilot Insight: the .app bundle (tray only), signed, in a .dmg.
#
#   installers/macos/build.sh
#
# Needs macOS 13+, Python 3.12+ (python.org or Homebrew) and Xcode's command-line tools (codesign,
# hdiutil). Steps:
#   1. creates .venv if needed and installs the project with its build extra (PyInstaller);
#   2. runs installers/copilot-insight.spec: dist/Copilot Insight.app (LSUIElement: no Dock icon),
#      signed by PyInstaller with $CODESIGN_IDENTITY and installers/macos/entitlements.plist under the
#      hardened runtime (ad hoc when CODESIGN_IDENTITY is unset: fine on the build machine only);
#   3. runs the bundle's smoke test (Contents/MacOS/copilot-insight --smoke-test --no-error-dialogs);
#   4. makes dist/copilot-insight-<version>-macos-<arch>.dmg with installers/macos/make_dmg.sh, and
#      notarizes it when $NOTARY_PROFILE names a `xcrun notarytool store-credentials` profile.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ "$(uname -s)" != Darwin ]; then
  echo "build.sh builds on macOS only (see installers/build_linux.py for Linux)." >&2
  exit 1
fi

started=$(date +%s)
python="${COPILOT_INSIGHT_PYTHON:-}"
if [ ! -x .venv/bin/python ]; then
  for candidate in "$python" python3.13 python3.12 python3.14 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
      python="$candidate"
      break
    fi
  done
  [ -n "$python" ] || { echo "No Python 3.12+ found; set COPILOT_INSIGHT_PYTHON." >&2; exit 1; }
  echo "==> Creating .venv with $python"
  "$python" -m venv .venv
fi
echo "==> Installing the project with its build extra (PyInstaller)"
.venv/bin/python -m pip install --disable-pip-version-check -q -e "${root}[build]"

version="$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
app="dist/Copilot Insight.app"

echo "==> PyInstaller installers/copilot-insight.spec (version $version)"
.venv/bin/python -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installers/copilot-insight.spec
[ -x "$app/Contents/MacOS/copilot-insight" ] || { echo "PyInstaller did not produce $app" >&2; exit 1; }
/usr/bin/plutil -lint "$app/Contents/Info.plist"
if [ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$app/Contents/Info.plist")" != true ]; then
  echo "$app is not tray-only (LSUIElement)" >&2
  exit 1
fi
codesign --verify --deep --strict "$app"

echo "==> Smoke test of the bundle"
"$app/Contents/MacOS/copilot-insight" --smoke-test --no-error-dialogs

dmg="dist/copilot-insight-$version-macos-$(uname -m).dmg"
echo "==> $dmg"
"$here/make_dmg.sh" "$app" "$dmg" "Copilot Insight $version"
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --sign "$CODESIGN_IDENTITY" --timestamp "$dmg"
fi
if [ -n "${NOTARY_PROFILE:-}" ]; then
  echo "==> Notarizing $dmg"
  xcrun notarytool submit "$dmg" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi

echo "Built in $(( $(date +%s) - started )) s. App $(du -sh "$app" | cut -f1); disk image $(du -h "$dmg" | cut -f1)."
