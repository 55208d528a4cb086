#!/usr/bin/env bash
# Install Copilot Insight from this unpacked folder, for the current user (default) or system-wide.
#
#   ./install.sh                        # into ~/.local (no root needed)
#   sudo ./install.sh --prefix /usr/local
#
# Puts the program in PREFIX/lib/copilot-insight/ (with uninstall.sh), a link PREFIX/bin/copilot-insight,
# the menu entry PREFIX/share/applications/copilot-insight.desktop and the icons under
# PREFIX/share/icons/hicolor/. Data (settings, usage database, CA) is never here: it lives in
# ~/.config/copilot-insight and ~/.local/share/copilot-insight and is created on first start.
# "Launch at login" is a setting in the app, which writes ~/.config/autostart/copilot-insight.desktop.
set -euo pipefail

APP_ID=copilot-insight
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix="${HOME}/.local"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [ ! -x "$here/$APP_ID" ] || [ ! -d "$here/_internal" ]; then
  echo "install.sh: run me from the unpacked copilot-insight folder (no $here/$APP_ID here)" >&2
  exit 1
fi
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac

lib="$prefix/lib/$APP_ID"
bin="$prefix/bin"
share="$prefix/share"

echo "Installing Copilot Insight into $lib"
rm -rf "$lib.new"
mkdir -p "$lib.new" "$bin" "$share/applications"
cp -a "$here/$APP_ID" "$here/_internal" "$here/uninstall.sh" "$lib.new/"
rm -rf "$lib"
mv "$lib.new" "$lib"
ln -sfn "$lib/$APP_ID" "$bin/$APP_ID"

# The menu entry runs the installed program by its absolute path (PREFIX/bin may not be on PATH).
sed "s|^Exec=.*|Exec=\"$lib/$APP_ID\"|" "$here/share/applications/$APP_ID.desktop" \
  > "$share/applications/$APP_ID.desktop"
chmod 0644 "$share/applications/$APP_ID.desktop"
for icon in "$here"/share/icons/hicolor/*/apps/"$APP_ID".png; do
  size_dir="$(basename "$(dirname "$(dirname "$icon")")")"
  mkdir -p "$share/icons/hicolor/$size_dir/apps"
  cp "$icon" "$share/icons/hicolor/$size_dir/apps/$APP_ID.png"
done

# Refresh the desktop's caches where the tools exist; a desktop without them rescans on its own.
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$share/icons/hicolor/index.theme" ]; then
  gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
fi

echo "Installed. Start it from the applications menu or with: $bin/$APP_ID"
echo "Uninstall with: $lib/uninstall.sh --prefix $prefix   (keeps your data; add --purge-data to delete it)"
