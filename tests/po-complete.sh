#!/bin/sh
# po-complete.sh SRCROOT LANG — every translatable string of the current sources has a
# (non-fuzzy) translation in po/LANG.po. Extracts the strings the way meson's
# i18n.gettext(preset: 'glib') does, into a temporary template, and merges.
set -eu
src=$1
lang=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^#' "$src/po/POTFILES.in" | grep -v '^[[:space:]]*$' > "$tmp/files"
(cd "$src" && xgettext --files-from="$tmp/files" --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 --keyword=ngettext:1,2 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --package-name=moonchat -o "$tmp/moonchat.pot")
msgmerge --quiet --no-fuzzy-matching "$src/po/$lang.po" "$tmp/moonchat.pot" -o "$tmp/merged.po"
msgfmt --check --statistics -o /dev/null "$tmp/merged.po" 2> "$tmp/stats"
cat "$tmp/stats"
if grep -Eq 'untranslated|fuzzy' "$tmp/stats"; then
  echo "po/$lang.po is incomplete. Missing translations:" >&2
  msgattrib --untranslated --no-obsolete "$tmp/merged.po" | grep '^msgid' >&2 || true
  msgattrib --only-fuzzy --no-obsolete "$tmp/merged.po" | grep '^msgid' >&2 || true
  exit 1
fi
