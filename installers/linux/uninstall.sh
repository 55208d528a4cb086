#!/usr/bin/env bash
# Uninstall Copilot Insight installed by install.sh. Keeps your data unless you ask:
#
#   ~/.local/lib/copilot-insight/uninstall.sh                   # program, menu entry, icons, login entry
#   ~/.local/lib/copilot-insight/uninstall.sh --purge-data      # ...and the settings, usage data and CA
#   sudo /usr/local/lib/copilot-insight/uninstall.sh --prefix /usr/local
#
# The data folders are ~/.config/copilot-insight and ~/.local/share/copilot-insight (or the folder given
# with --data-dir / COPILOT_INSIGHT_HOME, which is never touched). The credential secret in the system
# keyring (service "copilot-insight") is removed with --purge-data when secret-tool is installed.
set -euo pipefail

APP_ID=copilot-insight
prefix=""
purge=no

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --purge-data) purge=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

if [ -z "$prefix" ]; then
  # Installed as PREFIX/lib/copilot-insight/uninstall.sh: the prefix is two levels up.
  prefix="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
lib="$prefix/lib/$APP_ID"
if [ ! -x "$lib/$APP_ID" ]; then
  echo "uninstall.sh: Copilot Insight is not installed in $prefix (no $lib/$APP_ID)" >&2
  exit 1
fi

echo "Removing Copilot Insight from $prefix"
if [ -L "$prefix/bin/$APP_ID" ]; then
  rm -f "$prefix/bin/$APP_ID"
fi
rm -f "$prefix/share/applications/$APP_ID.desktop"
rm -f "$prefix"/share/icons/hicolor/*/apps/"$APP_ID".png
# The login entry the app's "Launch at login" setting wrote would otherwise start a missing program.
rm -f "${XDG_CONFIG_HOME:-$HOME/.config}/autostart/$APP_ID.desktop"
rm -rf "$lib"

config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/$APP_ID"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/$APP_ID"
if [ "$purge" = yes ]; then
  echo "Deleting the data: $config_dir and $data_dir"
  rm -rf "$config_dir" "$data_dir"
  if command -v secret-tool >/dev/null 2>&1; then
    secret-tool clear service "$APP_ID" username credential-secret 2>/dev/null || true
  fi
else
  echo "Kept your data in $config_dir and $data_dir (run with --purge-data to delete it)."
fi
