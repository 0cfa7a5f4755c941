#!/usr/bin/env python3
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the daemon is started: HTTPS with --tls-cert/--tls-key, and the rules of
dev and production databases (DESIGN.md: a database is dev or not from its
creation; credit and the test clock exist only on dev databases)."""

import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PLATFORM, Daemon, check, eq, run  # noqa: E402


def start_raw(args, timeout=30):
    """Starts `serve` with @args; returns (process, url)."""
    proc = subprocess.Popen([PLATFORM, 'serve'] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    box = []
    t = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    m = re.fullmatch(r'listening on (\S+)\n', box[0] if box else '')
    if not m:
        proc.kill()
        check(False, 'the daemon printed `listening on URL`', box)
    return proc, m.group(1)


def stop_raw(proc):
    proc.send_signal(signal.SIGTERM)
    eq(proc.wait(30), 0, 'the exit status on SIGTERM')


def test_https(d):
    cert = os.path.join(d.dir, 'cert.pem')
    key = os.path.join(d.dir, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                    '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
                   check=True, capture_output=True)
    proc, url = start_raw(['--db', d.db, '--listen', '127.0.0.1:0', '--dev',
                           '--tls-cert', cert, '--tls-key', key])
    try:
        check(url.startswith('https://127.0.0.1:'), 'an https URL', url)
        context = ssl.create_default_context(cafile=cert)
        with urllib.request.urlopen(url + '/v1/health', context=context, timeout=10) as r:
            eq(r.status, 200, 'health over TLS')
            eq(json.loads(r.read())['status'], 'ok', 'health status')
        # An untrusted client refuses the certificate, and plain HTTP is not spoken.
        try:
            urllib.request.urlopen(url + '/v1/health', context=ssl.create_default_context(), timeout=10)
            check(False, 'a client without the certificate refuses it')
        except urllib.error.URLError as e:
            check(isinstance(e.reason, ssl.SSLError), 'the refusal is a TLS error', e)
        plain = url.replace('https://', 'http://')
        try:
            urllib.request.urlopen(plain + '/v1/health', timeout=10)
            check(False, 'plain HTTP is refused on the TLS port')
        except Exception:
            pass
    finally:
        stop_raw(proc)

    # A key without its certificate is a usage error.
    p = subprocess.run([PLATFORM, 'serve', '--db', d.db, '--tls-key', key], capture_output=True, text=True)
    eq(p.returncode, 2, 'the exit status of --tls-key alone')


def test_dev_flag_is_fixed_at_creation(d):
    prod = Daemon('production', dev=False)
    try:
        prod.add_merchant('alice')
        # --dev on an existing production database exits non-zero, and changes nothing.
        p = subprocess.run([PLATFORM, 'admin', '--db', prod.db, '--dev', 'credit', 'alice', '10'],
                           capture_output=True, text=True)
        check(p.returncode != 0, 'admin --dev on a production database fails', p.stdout)
        p = subprocess.run([PLATFORM, 'serve', '--db', prod.db, '--listen', '127.0.0.1:0', '--dev'],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode != 0, 'serve --dev on a production database fails', p.stdout)
        # credit does not exist there.
        p = prod.admin('credit', 'alice', '10', check_rc=False)
        check(p.returncode != 0 and 'dev' in p.stderr, 'credit is refused on a production database', p.stderr)
        # The test clock does not exist there either.
        prod.start()
        req = urllib.request.Request(prod.url + '/v1/dev/clock', data=b'{"advance_seconds":60}',
                                     method='POST')
        try:
            urllib.request.urlopen(req, timeout=10)
            check(False, 'the clock is not movable on a production database')
        except urllib.error.HTTPError as e:
            eq(e.code, 404, 'the status of the dev clock on a production database')
            eq(json.loads(e.read())['error']['code'], 'not_found', 'its error code')
        with urllib.request.urlopen(prod.url + '/v1/health', timeout=10) as r:
            eq(json.loads(r.read())['dev'], False, 'health says it is not a dev database')
        prod.stop()
        prod.assert_check_clean()
    finally:
        prod.cleanup()

    # A dev database stays dev when opened without --dev.
    d.add_merchant('bob')
    d.dev = False
    d.credit('bob', '25')
    d.start()
    with urllib.request.urlopen(d.url + '/v1/health', timeout=10) as r:
        eq(json.loads(r.read())['dev'], True, 'a dev database opened without --dev is still dev')
    d.stop()
    d.assert_check_clean()


def test_no_content_keeps_the_connection(d):
    """A 204 (logout) leaves a keep-alive connection open: libsoup 3.2 would
    otherwise close it after the answer."""
    d.add_merchant('alice')
    d.start()
    c = http.client.HTTPConnection(d.host, d.port, timeout=10)
    try:
        c.request('POST', '/v1/sessions', body=json.dumps({'username': 'alice', 'password': d.passwords['alice']}),
                  headers={'Content-Type': 'application/json'})
        r = c.getresponse()
        token = json.loads(r.read())['token']
        eq(r.status, 200, 'login')
        sock = c.sock
        c.request('DELETE', '/v1/sessions/current', headers={'Authorization': 'Bearer ' + token})
        r = c.getresponse()
        eq((r.status, r.read(), r.getheader('Content-Length'), r.getheader('Connection')), (204, b'', None, None),
           'logout: 204, no body, no Content-Length, no Connection: close')
        c.request('GET', '/v1/merchants/me', headers={'Authorization': 'Bearer ' + token})
        r = c.getresponse()
        body = json.loads(r.read())
        eq((r.status, body['error']['code']), (401, 'unauthenticated'), 'the ended session is refused')
        check(c.sock is sock and sock is not None, 'both answers came on the connection of the 204')
    finally:
        c.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_https, test_dev_flag_is_fixed_at_creation, test_no_content_keeps_the_connection])
