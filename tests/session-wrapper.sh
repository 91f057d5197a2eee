#!/bin/sh
# session-wrapper.sh TEST [ARGS...]
#
# Runs one test the way a user's session looks, with real components only:
# a fresh HOME and XDG directories, a private D-Bus session bus, an unlocked
# gnome-keyring (Secret Service) in it, the accessibility bus, and an Xvfb display.
# meson uses it for every test (see tests/meson.build, the default test setup).
set -eu

scratch=$(mktemp -d "${TMPDIR:-/tmp}/moonchat-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
export HOME="$scratch/home"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_CACHE_HOME="$HOME/.cache"
export XDG_STATE_HOME="$HOME/.local/state"
export XDG_RUNTIME_DIR="$scratch/runtime"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME" "$XDG_RUNTIME_DIR"
chmod 0700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

exec dbus-run-session -- sh -c '
  # A non-empty password creates the "login" collection, so stores work.
  eval "$(printf test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
  if [ -x /usr/libexec/at-spi-bus-launcher ]; then
    /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
  fi
  exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$@"
' session-wrapper "$@"
