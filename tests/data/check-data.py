#!/usr/bin/python3
# check-data.py — the desktop integration in data/, po/ and the Flatpak
# manifest, checked with the tools that consume them.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ['USDTPAY_SRCDIR']
BUILD = os.environ['USDTPAY_BUILDDIR']
APP_BUILD = os.path.join(BUILD, 'src', 'app')
APP_ID = 'com.example.UsdtPay'
SKIP = 77


def run(*cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    sys.stdout.write(p.stdout + p.stderr)
    if p.returncode != 0:
        raise SystemExit('FAILED (%d): %s' % (p.returncode, ' '.join(cmd)))
    return p.stdout + p.stderr


def need(tool):
    path = shutil.which(tool)
    if path is None:
        print('SKIP: %s is not installed' % tool)
        raise SystemExit(SKIP)
    return path


def test_desktop():
    need('desktop-file-validate')
    run('desktop-file-validate', os.path.join(APP_BUILD, APP_ID + '.desktop'))
    with open(os.path.join(APP_BUILD, APP_ID + '.desktop')) as f:
        text = f.read()
    # The translation made it into the merged file.
    assert 'Comment[zh_CN]=' in text, 'the desktop file carries the zh_CN translation'


def test_metainfo():
    need('appstreamcli')
    path = os.path.join(APP_BUILD, APP_ID + '.metainfo.xml')
    run('appstreamcli', 'validate', '--no-net', '--explain', path)
    with open(path) as f:
        text = f.read()
    images = re.findall(r'<image[^>]*>([^<]*)</image>', text)
    assert images, 'the metainfo has screenshots'
    for url in images:
        assert url.startswith('https://'), 'screenshots are https URLs: %s' % url
        name = url.rsplit('/', 1)[-1]
        assert os.path.exists(os.path.join(SRC, 'data', 'screenshots', name)), \
            'the screenshot %s is kept in data/screenshots/' % name
    assert '<release ' in text and '<description>' in text.split('<release ', 1)[1], \
        'the release has notes'
    assert 'xml:lang="zh_CN"' in text, 'the metainfo carries the zh_CN translation'


def test_schema():
    need('glib-compile-schemas')
    run('glib-compile-schemas', '--strict', '--dry-run', os.path.join(SRC, 'data'))


def test_icons():
    for rel in ('icons/hicolor/scalable/apps/%s.svg' % APP_ID,
                'icons/hicolor/symbolic/apps/%s-symbolic.svg' % APP_ID):
        path = os.path.join(SRC, 'data', rel)
        with open(path) as f:
            text = f.read()
        assert text.lstrip().startswith('<?xml') and '<svg' in text, '%s is an SVG' % rel


def translatable_files():
    found = []
    for top in ('src/app', 'data'):
        for root, _, files in os.walk(os.path.join(SRC, top)):
            for name in files:
                path = os.path.join(root, name)
                rel = os.path.relpath(path, SRC)
                if name.endswith('.c'):
                    with open(path) as f:
                        if re.search(r'\b(N?_|g_dngettext)\s*\(', f.read()):
                            found.append(rel)
                elif name.endswith('.ui'):
                    with open(path) as f:
                        if 'translatable="yes"' in f.read():
                            found.append(rel)
                elif name.endswith(('.desktop.in', '.metainfo.xml.in', '.gschema.xml')):
                    found.append(rel)
    return sorted(found)


def test_po():
    need('xgettext')
    with open(os.path.join(SRC, 'po', 'POTFILES')) as f:
        listed = sorted(l.strip() for l in f if l.strip() and not l.startswith('#'))
    wanted = translatable_files()
    missing = sorted(set(wanted) - set(listed))
    stale = sorted(set(listed) - set(wanted))
    assert not missing, 'files with translatable strings missing from po/POTFILES: %s' % missing
    assert not stale, 'po/POTFILES lists files without translatable strings: %s' % stale

    with open(os.path.join(SRC, 'po', 'LINGUAS')) as f:
        linguas = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    assert 'zh_CN' in linguas, 'zh_CN is in LINGUAS'

    tmp = tempfile.mkdtemp()
    try:
        pot = os.path.join(tmp, 'usdtpay.pot')
        run('xgettext', '--from-code=UTF-8', '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2',
            '--keyword=NC_:1c,2', '--keyword=g_dngettext:2,3', '--package-name=usdtpay',
            '-o', pot, *listed, cwd=SRC)
        for lang in linguas:
            merged = os.path.join(tmp, lang + '.po')
            run('msgmerge', '--quiet', '--no-fuzzy-matching', '-o', merged,
                os.path.join(SRC, 'po', lang + '.po'), pot)
            stats = run('msgfmt', '--check', '--statistics', '-o', os.devnull, merged)
            assert re.fullmatch(r'\d+ translated messages\.\s*', stats), \
                '%s is complete against the sources: %s' % (lang, stats.strip())
    finally:
        shutil.rmtree(tmp)


def test_resources():
    with open(os.path.join(SRC, 'src', 'app', 'usdtpay.gresource.xml')) as f:
        listed = set(re.findall(r'>([^<]+)</file>', f.read()))
    for name in os.listdir(os.path.join(SRC, 'src', 'app')):
        if name.endswith('.ui'):
            assert name in listed, '%s is in the GResource' % name
    assert 'gtk/help-overlay.ui' in listed, 'the shortcuts window is in the GResource'
    assert 'style.css' in listed


def test_flatpak_manifest():
    manifest = os.path.join(SRC, APP_ID + '.json')
    with open(manifest) as f:
        data = json.load(f)
    assert data['id'] == APP_ID and data['command'] == 'usdtpay'
    assert data['runtime'] == 'org.gnome.Platform' and data['sdk'] == 'org.gnome.Sdk'
    args = set(data['finish-args'])
    for arg in ('--share=network', '--socket=wayland', '--socket=fallback-x11', '--socket=pulseaudio'):
        assert arg in args, 'finish-args has %s' % arg
    assert '--socket=x11' not in args, 'X11 only as the fallback'
    # The Secret Service goes through the portal: no direct bus access to it.
    assert not any('org.freedesktop.secrets' in a for a in args), 'no --talk-name=org.freedesktop.secrets'
    for module in data['modules']:
        for source in module['sources']:
            if source['type'] in ('archive', 'file'):
                assert re.fullmatch(r'[0-9a-f]{64}', source.get('sha256', '')), \
                    '%s: %s is pinned by sha256' % (module['name'], source.get('url'))
                assert source['url'].startswith(('https://', 'http://')), source['url']
            elif source['type'] == 'git':
                assert re.fullmatch(r'[0-9a-f]{40}', source.get('commit', '')), \
                    '%s: git source pinned by commit' % module['name']
            else:
                assert source['type'] == 'dir' and module['name'] == 'usdtpay', \
                    'only the app itself comes from the local tree'
    builder = shutil.which('flatpak-builder')
    if builder is None:
        print('flatpak-builder is not installed: --show-manifest not run')
        return
    p = subprocess.run([builder, '--show-manifest', manifest], capture_output=True, text=True)
    assert p.returncode == 0, 'flatpak-builder --show-manifest: %s' % p.stderr
    shown = json.loads(p.stdout)
    assert shown['id'] == APP_ID and [m['name'] for m in shown['modules']] == \
        [m['name'] for m in data['modules']], 'flatpak-builder reads the same manifest'


def test_install():
    dest = tempfile.mkdtemp(prefix='usdtpay-install-')
    try:
        run('meson', 'install', '-C', BUILD, '--no-rebuild', '--destdir', dest, '--quiet')
        prefix = None
        for root, dirs, files in os.walk(dest):
            if 'usdtpay' in files and root.endswith('/bin'):
                prefix = os.path.dirname(root)
                break
        assert prefix is not None, 'bin/usdtpay is installed'
        # What the Flatpak's command, desktop file, metainfo and finish-args rely on.
        for rel in ('bin/usdtpay',
                    'share/applications/%s.desktop' % APP_ID,
                    'share/metainfo/%s.metainfo.xml' % APP_ID,
                    'share/glib-2.0/schemas/%s.gschema.xml' % APP_ID,
                    'share/icons/hicolor/scalable/apps/%s.svg' % APP_ID,
                    'share/icons/hicolor/symbolic/apps/%s-symbolic.svg' % APP_ID,
                    'share/locale/zh_CN/LC_MESSAGES/usdtpay.mo'):
            assert os.path.isfile(os.path.join(prefix, rel)), '%s is installed' % rel
    finally:
        shutil.rmtree(dest, ignore_errors=True)


TESTS = {name[5:].replace('_', '-'): fn for name, fn in globals().items() if name.startswith('test_')}

if __name__ == '__main__':
    TESTS[sys.argv[1]]()
    print('PASS', sys.argv[1])
