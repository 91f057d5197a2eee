#!/usr/bin/env python3
# po-fill.py PO TRANSLATIONS.json — fill empty msgstr entries of PO from a JSON map
# {msgid: msgstr}. A maintainer tool for batch translation updates; it never
# overwrites an existing translation. Uses only the standard library.
import json
import re
import sys

po_path, map_path = sys.argv[1], sys.argv[2]
table = json.load(open(map_path, encoding='utf-8'))
text = open(po_path, encoding='utf-8').read()

def unquote(lines):
    return ''.join(json.loads(l) for l in lines)

def quote(s):
    return json.dumps(s, ensure_ascii=False)

out = []
entries = text.split('\n\n')
missing = []
for e in entries:
    m = (re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', e + '\n', re.M) or
         re.search(r'^msgid ((?:".*"\n?)+)msgid_plural (?:".*"\n?)+msgstr\[0\] ((?:".*"\n?)+)', e + '\n', re.M))
    if m:
        msgid = unquote(re.findall(r'".*"', m.group(1)))
        msgstr = unquote(re.findall(r'".*"', m.group(2)))
        if msgid and not msgstr:
            if msgid in table:
                e = e[:m.start(2)] + quote(table[msgid]) + (e + '\n')[m.end(2):].rstrip('\n')
                e = e.replace('#, fuzzy\n', '')
            else:
                missing.append(msgid)
    out.append(e)
open(po_path, 'w', encoding='utf-8').write('\n\n'.join(out))
for msgid in missing:
    print('untranslated:', msgid, file=sys.stderr)
sys.exit(1 if missing else 0)
