#!/bin/sh
# po-update.sh — refresh po/moonchat.pot from the sources and merge it into every
# catalogue (run inside `build-aux/moonchat-env exec`). Prints the strings still untranslated.
set -eu
cd "$(dirname "$0")/.."
meson compile -C "${MOONCHAT_BUILDDIR:-_build}" moonchat-pot >/dev/null
for lang in $(cat po/LINGUAS); do
  msgmerge --quiet --no-fuzzy-matching --update --backup=none "po/$lang.po" po/moonchat.pot
  msgattrib --untranslated --no-obsolete --no-wrap "po/$lang.po" | grep -A1 '^msgid' | grep -v '^--$' || true
done
