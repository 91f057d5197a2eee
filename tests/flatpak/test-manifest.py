#!/usr/bin/env python3
# test-manifest.py SOURCE_ROOT — structural checks of the Flatpak manifests in flatpak/.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Prints TAP (one case per rule) so the test count says what was checked. The manifest
# itself is only built by build-aux/flatpak-check (minutes, needs root); these checks take
# milliseconds and catch the mistakes that matter before anyone builds: a wrong runtime,
# a permission too many, a download without a checksum, an app module that does not build
# this tree.
import json
import os
import re
import sys

APP_ID = 'io.github.moonchat.Moonchat'
FINISH_ARGS = [
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
]
SHA256 = re.compile(r'^[0-9a-f]{64}$')

root = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else \
    os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
flatpak_dir = os.path.join(root, 'flatpak')

cases = []


def case(name):
    def register(func):
        cases.append((name, func))
        return func
    return register


def load(name):
    with open(os.path.join(flatpak_dir, name), encoding='utf-8') as f:
        return json.load(f)


def module(manifest, name):
    found = [m for m in manifest['modules'] if isinstance(m, dict) and m.get('name') == name]
    assert len(found) == 1, f'expected one module named {name!r}, found {len(found)}'
    return found[0]


def main_manifest():
    return load(APP_ID + '.json')


@case('manifest is valid JSON with the required fields')
def _():
    m = main_manifest()
    for key in ('id', 'runtime', 'runtime-version', 'sdk', 'command', 'finish-args', 'modules'):
        assert key in m, f'missing required field {key!r}'
    assert 'app-id' not in m, "use 'id' only, not the old 'app-id' as well"
    assert isinstance(m['modules'], list) and m['modules'], 'modules must be a non-empty list'


@case('id matches the application ID in meson.build and the data files')
def _():
    m = main_manifest()
    assert m['id'] == APP_ID, f"id is {m['id']!r}"
    with open(os.path.join(root, 'meson.build'), encoding='utf-8') as f:
        meson = f.read()
    assert re.search(r"^base_id\s*=\s*'%s'" % re.escape(APP_ID), meson, re.M), \
        'meson.build base_id differs from the manifest id'
    for suffix in ('.desktop.in.in', '.metainfo.xml.in.in', '.gschema.xml'):
        path = os.path.join(root, 'data', APP_ID + suffix)
        assert os.path.isfile(path), f'data file for the manifest id is missing: {path}'


@case('runtime is org.gnome.Platform/Sdk 50')
def _():
    m = main_manifest()
    assert m['runtime'] == 'org.gnome.Platform', f"runtime is {m['runtime']!r}"
    assert m['sdk'] == 'org.gnome.Sdk', f"sdk is {m['sdk']!r}"
    assert m['runtime-version'] == '50', \
        f"runtime-version is {m['runtime-version']!r} (must be the string '50')"
    assert 'sdk-extensions' not in m, 'no SDK extension is needed'


@case('command is the installed executable')
def _():
    m = main_manifest()
    assert m['command'] == 'moonchat', f"command is {m['command']!r}"
    with open(os.path.join(root, 'src', 'meson.build'), encoding='utf-8') as f:
        assert re.search(r"executable\('moonchat'", f.read()), 'src/meson.build builds no moonchat'


@case('finish-args are exactly network, ipc, wayland, fallback-x11, dri')
def _():
    args = main_manifest()['finish-args']
    assert args == FINISH_ARGS, f'finish-args are {args!r}, expected {FINISH_ARGS!r}'


@case('no home or host filesystem access')
def _():
    for arg in main_manifest()['finish-args']:
        assert not arg.startswith('--filesystem'), f'filesystem access requested: {arg}'
        assert not arg.startswith('--persist'), f'persisted path requested: {arg}'


@case('no keyring or session-bus talk-name (libsecret uses the Secret portal)')
def _():
    for arg in main_manifest()['finish-args']:
        assert 'org.freedesktop.secrets' not in arg, f'keyring talk-name: {arg}'
        assert not arg.startswith('--talk-name'), f'talk-name: {arg}'
        assert arg not in ('--socket=session-bus', '--socket=system-bus', '--socket=x11'), \
            f'too broad: {arg}'


@case('cleanup drops headers, pkg-config files and static libraries')
def _():
    cleanup = main_manifest().get('cleanup', [])
    for pattern in ('/include', '/lib/pkgconfig', '*.la', '*.a'):
        assert pattern in cleanup, f'cleanup lacks {pattern!r}'


@case('md4c is built from a release tarball with its sha256')
def _():
    md4c = module(main_manifest(), 'md4c')
    assert md4c.get('buildsystem') in ('cmake', 'cmake-ninja'), \
        f"md4c buildsystem is {md4c.get('buildsystem')!r}"
    sources = md4c.get('sources', [])
    assert len(sources) == 1 and sources[0].get('type') == 'archive', \
        'md4c needs exactly one archive source'
    src = sources[0]
    assert re.match(r'^https://github\.com/mity/md4c/archive/refs/tags/release-[0-9.]+\.tar\.gz$',
                    src.get('url', '')), f"md4c url is {src.get('url')!r}"
    assert SHA256.match(src.get('sha256', '')), \
        f"md4c sha256 is {src.get('sha256')!r} (64 lower-case hex digits expected)"


@case('every downloaded source carries a sha256')
def _():
    for mod in main_manifest()['modules']:
        assert isinstance(mod, dict), 'modules are inline objects'
        for src in mod.get('sources', []):
            if src.get('type') in ('archive', 'file') and 'url' in src:
                assert SHA256.match(src.get('sha256', '')), \
                    f"{mod['name']}: {src['url']} has no valid sha256"


@case('the app module is meson, last, built from this source tree')
def _():
    m = main_manifest()
    app = m['modules'][-1]
    assert app.get('name') == 'moonchat', f"last module is {app.get('name')!r}"
    assert app.get('buildsystem') == 'meson', f"app buildsystem is {app.get('buildsystem')!r}"
    sources = app.get('sources', [])
    assert len(sources) == 1 and sources[0].get('type') == 'dir', 'app needs one dir source'
    path = os.path.normpath(os.path.join(flatpak_dir, sources[0].get('path', '')))
    assert path == root, f'app dir source points at {path}, not the source root {root}'
    assert os.path.isfile(os.path.join(path, 'meson.build'))
    assert '-Dprofile=default' in app.get('config-opts', []), 'release profile not selected'


@case('the .Devel manifest differs only in id and profile')
def _():
    main = main_manifest()
    devel = load(APP_ID + '.Devel.json')
    assert devel['id'] == APP_ID + '.Devel', f"Devel id is {devel['id']!r}"
    assert devel['modules'][-1].get('config-opts') == ['-Dprofile=development'], \
        'Devel app module must select the development profile'
    devel['id'] = main['id']
    devel['modules'][-1]['config-opts'] = main['modules'][-1].get('config-opts')
    assert devel == main, 'the Devel manifest drifted from the main manifest'


print('TAP version 13')
print(f'1..{len(cases)}')
failed = 0
for number, (name, func) in enumerate(cases, 1):
    try:
        func()
    except (AssertionError, KeyError, OSError, ValueError) as error:
        failed += 1
        print(f'not ok {number} - {name}')
        print(f'# {type(error).__name__}: {error}')
    else:
        print(f'ok {number} - {name}')
sys.exit(1 if failed else 0)
