#!/usr/bin/python3
# apptest.py — the desktop app's tests, run for real.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# meson runs `xvfb-run -a dbus-run-session -- /usr/bin/python3 apptest.py NAME`.
# Inside that session this script gives everything its own temp HOME and
# XDG dirs, unlocks a gnome-keyring (the Secret Service), starts a PulseAudio
# with a null sink when a test listens, starts `usdtpay-platform serve` on a
# temp --dev database when a test needs the platform, and drives the real
# `usdtpay` over D-Bus (org.gtk.Actions). The app describes what it shows in
# the file named by USDTPAY_TEST_STATE and saves screenshots on request
# (PNG, under meson-logs/app/).

import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

APP = os.environ['USDTPAY_APP']
PLATFORM = os.environ.get('USDTPAY_PLATFORM', '')
SCHEMA_DIR = os.environ['USDTPAY_SCHEMA_DIR']
TEST_SECRETS = os.environ.get('USDTPAY_TEST_SECRETS', '')
LOCALEDIR = os.environ.get('USDTPAY_LOCALEDIR', '')
BUILDDIR = os.environ['USDTPAY_BUILDDIR']
RECEIPT_TOOL = os.environ.get('USDTPAY_RECEIPT_TOOL', '')
SHOTS = os.path.join(BUILDDIR, 'meson-logs', 'app')
# The npm cache (Anvil, solc) lives under the real home, not the tests' own.
NPM_DIR = os.environ.get('USDTPAY_NPM_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'usdtpay', 'npm')
SKIP = 77


class Skip(Exception):
    pass


class Failed(AssertionError):
    pass


def log(*args):
    print('[%s]' % time.strftime('%H:%M:%S'), *args, flush=True)


def check(cond, what, *details):
    if not cond:
        raise Failed(what + (': ' + ' | '.join(repr(d) for d in details) if details else ''))


def wait_until(pred, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise Failed('timed out after %ss waiting for %s' % (timeout, what))


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ----------------------------------------------------------------- session

class Session:
    """Temp HOME/XDG dirs, a keyring, and optionally a sound server."""

    def __init__(self, sound=False):
        self.dir = tempfile.mkdtemp(prefix='usdtpay-app-')
        self.procs = []
        self.cleanups = []
        env = os.environ
        for var, sub in (('HOME', 'home'), ('XDG_RUNTIME_DIR', 'run'), ('XDG_DATA_HOME', 'data'),
                         ('XDG_CONFIG_HOME', 'config'), ('XDG_CACHE_HOME', 'cache')):
            path = os.path.join(self.dir, sub)
            os.makedirs(path, mode=0o700)
            env[var] = path
        env['GSETTINGS_SCHEMA_DIR'] = SCHEMA_DIR
        env['GSETTINGS_BACKEND'] = 'keyfile'
        env['GDK_BACKEND'] = 'x11'
        env['GSK_RENDERER'] = 'cairo'
        # No GL at all: Mesa's drivers, loaded and unloaded, leave leaks
        # LeakSanitizer cannot attribute.
        env['GDK_DEBUG'] = 'gl-disable'
        env['GTK_A11Y'] = 'none'
        env['NO_AT_BRIDGE'] = '1'
        env['LC_ALL'] = env.get('USDTPAY_TEST_LOCALE', 'C.UTF-8')
        env.pop('LANGUAGE', None)
        if LOCALEDIR:
            env['USDTPAY_LOCALEDIR'] = LOCALEDIR
        self.state_path = os.path.join(self.dir, 'state.json')
        env['USDTPAY_TEST_STATE'] = self.state_path
        self.start_keyring()
        if sound:
            self.start_pulse()

    def start_keyring(self):
        p = subprocess.Popen(['gnome-keyring-daemon', '--foreground', '--unlock', '--components=secrets'],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        p.stdin.write(b'test')
        p.stdin.close()
        self.procs.append(p)

        def owned():
            r = subprocess.run(['gdbus', 'call', '--session', '--dest', 'org.freedesktop.DBus',
                                '--object-path', '/org/freedesktop/DBus', '--method',
                                'org.freedesktop.DBus.NameHasOwner', 'org.freedesktop.secrets'],
                               capture_output=True, text=True)
            return 'true' in r.stdout
        wait_until(owned, 20, 'the Secret Service on the session bus')

    def start_pulse(self):
        self.pulse_log = open(os.path.join(self.dir, 'pulse.log'), 'w')
        p = subprocess.Popen(['pulseaudio', '--daemonize=no', '--exit-idle-time=-1', '-n',
                              '--load=module-null-sink sink_name=rec',
                              '--load=module-native-protocol-unix'],
                             stdout=self.pulse_log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_until(lambda: subprocess.run(['pactl', 'info'], capture_output=True).returncode == 0,
                   20, 'PulseAudio to answer')
        subprocess.run(['pactl', 'set-default-sink', 'rec'], check=True)

    def gsettings(self, key, value):
        subprocess.run(['gsettings', 'set', 'com.example.UsdtPay', key, value], check=True)

    def close(self):
        for cleanup in reversed(self.cleanups):
            cleanup()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if os.environ.get('USDTPAY_KEEP_TMP'):
            log('kept', self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


NOTIFICATIONS_XML = """<node>
  <interface name="org.freedesktop.Notifications">
    <method name="Notify">
      <arg type="s" direction="in"/><arg type="u" direction="in"/><arg type="s" direction="in"/>
      <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="as" direction="in"/>
      <arg type="a{sv}" direction="in"/><arg type="i" direction="in"/><arg type="u" direction="out"/>
    </method>
    <method name="CloseNotification"><arg type="u" direction="in"/></method>
    <method name="GetCapabilities"><arg type="as" direction="out"/></method>
    <method name="GetServerInformation">
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
      <arg type="s" direction="out"/><arg type="s" direction="out"/>
    </method>
    <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
  </interface>
</node>"""


def notification_server(path):
    """A desktop notification server on the session bus that writes each
    Notify call as a JSON line to @path (run as a subprocess)."""
    from gi.repository import Gio, GLib
    node = Gio.DBusNodeInfo.new_for_xml(NOTIFICATIONS_XML)
    counter = [0]

    def on_call(conn, sender, obj, iface, method, params, invocation):
        if method == 'Notify':
            app_name, _, _, summary, body, actions, hints, _ = params.unpack()
            counter[0] += 1
            with open(path, 'a') as f:
                f.write(json.dumps({'app': app_name, 'summary': summary, 'body': body,
                                    'actions': actions, 'urgency': hints.get('urgency')}) + '\n')
            invocation.return_value(GLib.Variant('(u)', (counter[0],)))
        elif method == 'GetCapabilities':
            invocation.return_value(GLib.Variant('(as)', (['body', 'actions'],)))
        elif method == 'GetServerInformation':
            invocation.return_value(GLib.Variant('(ssss)', ('apptest', 'usdtpay', '1', '1.2')))
        elif method == 'CloseNotification':
            with open(path + '.closed', 'a') as f:
                f.write('%d\n' % params.unpack()[0])
            invocation.return_value(None)
        else:
            invocation.return_value(None)

    def on_bus(conn, name):
        conn.register_object('/org/freedesktop/Notifications', node.interfaces[0], on_call, None, None)

    def on_name(conn, name):
        with open(path + '.ready', 'w') as f:
            f.write('ready')

    Gio.bus_own_name(Gio.BusType.SESSION, 'org.freedesktop.Notifications', Gio.BusNameOwnerFlags.NONE,
                     on_bus, on_name, None)
    GLib.MainLoop().run()


class Notifications:
    def __init__(self, session):
        self.path = os.path.join(session.dir, 'notifications.jsonl')
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), '--notification-server',
                                      self.path])
        session.procs.append(self.proc)
        wait_until(lambda: os.path.exists(self.path + '.ready'), 20, 'the notification server')

    def all(self):
        try:
            with open(self.path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []

    def wait(self, pred, what, timeout=20):
        return wait_until(lambda: [n for n in self.all() if pred(n)], timeout, what)

    def closed(self):
        try:
            with open(self.path + '.closed') as f:
                return [int(line) for line in f if line.strip()]
        except OSError:
            return []


class Recorder:
    """parec on the null sink's monitor: raw s16le stereo 44.1 kHz."""

    def __init__(self, session, name):
        self.path = os.path.join(session.dir, name + '.raw')
        self.proc = subprocess.Popen(['parec', '-d', 'rec.monitor', '--format=s16le', '--rate=44100',
                                      '--channels=2', '--latency-msec=20', '--raw', self.path],
                                     stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        with open(self.path, 'rb') as f:
            data = f.read()
        n = len(data) // 2
        samples = struct.unpack('<%dh' % n, data[:n * 2]) if n else ()
        peak = max((abs(s) for s in samples), default=0)
        log('recorded %.2f s, peak amplitude %d' % (n / 2 / 44100, peak))
        return peak, n


# ----------------------------------------------------------------- platform

class Platform:
    def __init__(self, session):
        if not PLATFORM:
            raise Skip('usdtpay-platform is not built in this build directory')
        self.dir = os.path.join(session.dir, 'platform')
        os.makedirs(self.dir)
        self.db = os.path.join(self.dir, 'platform.db')
        self.proc = None
        self.port = None
        self.session = session
        self.log = open(os.path.join(self.dir, 'daemon.log'), 'a')
        self.serve_args = []

    def start(self, port=0):
        cmd = [PLATFORM, 'serve', '--db', self.db, '--listen', '127.0.0.1:%d' % port, '--dev'] + self.serve_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.session.procs.append(self.proc)
        box = []
        t = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(30)
        m = re.fullmatch(r'listening on (http://127\.0\.0\.1:(\d+))\n', box[0] if box else '')
        check(m is not None, 'the platform prints `listening on URL`', box)
        self.url = m.group(1)
        self.port = int(m.group(2))
        threading.Thread(target=lambda p=self.proc: [None for _ in p.stdout], daemon=True).start()
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
            self.proc = None

    def admin(self, *args):
        p = subprocess.run([PLATFORM, 'admin', '--db', self.db, '--dev'] + list(args),
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, 'admin %s' % ' '.join(args[:2]), p.stderr)
        return p.stdout

    def add_merchant(self, user, password, credit='10000'):
        path = os.path.join(self.dir, 'pw-' + user)
        with open(path, 'w') as f:
            f.write(password + '\n')
        self.admin('add-merchant', user, '--password-file', path)
        self.admin('credit', user, credit)
        # Payment details, so the merchant is eligible for orders; online
        # and auto-match stay off until the app turns them on.
        token = self.login(user, password)
        self.ok('PATCH', '/v1/merchants/me', {'methods': [
            {'id': 'alipay', 'account_name': user.title() + ' Example', 'account_number': user + '@example.com'},
            {'id': 'bank', 'account_name': user.title() + ' Example', 'account_number': '6222 0000 0000 0001'},
        ]}, token)
        self.ok('DELETE', '/v1/sessions/current', token=token, status=(200, 204))
        return path

    def add_shop(self, name):
        return self.admin('add-shop', name).strip()

    def request(self, method, path, body=None, token=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            headers = {}
            if token:
                headers['Authorization'] = 'Bearer ' + token
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers['Content-Type'] = 'application/json'
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
        finally:
            conn.close()

    def ok(self, method, path, body=None, token=None, status=(200, 201)):
        st, answer = self.request(method, path, body, token)
        check(st in status, '%s %s answers %s' % (method, path, status), st, answer)
        return answer

    def login(self, user, password):
        return self.ok('POST', '/v1/sessions', {'username': user, 'password': password})['token']

    def create_order(self, shop_key, n, amount='100.000000', fiat='720.00', method='alipay'):
        return self.ok('POST', '/v1/orders', {
            'amount': amount, 'fiat_amount': fiat, 'fiat_currency': 'CNY', 'method': method,
            'external_id': 'app-test-%d-%d' % (os.getpid(), n), 'customer_ref': 'customer-%d' % n,
        }, shop_key)

    def customer_pays(self, order, payer='Li Wei'):
        t = urllib.parse.parse_qs(urllib.parse.urlparse(order['pay_url']).query)['t'][0]
        return self.ok('POST', '/v1/orders/%s/paid' % order['id'], {'payer_name': payer}, t)

    def order(self, order_id, token):
        return self.ok('GET', '/v1/orders/%s' % order_id, token=token)

    def open_orders(self, token):
        out = {}
        for state in ('paid', 'matched', 'pending'):
            out[state] = sorted(o['id'] for o in self.ok('GET', '/v1/orders?state=%s&limit=100' % state,
                                                          token=token)['items'])
        return out


class TlsServer:
    """A loopback TLS listener with a fresh self-signed certificate."""

    def __init__(self, session):
        import ssl
        cert = os.path.join(session.dir, 'tls-cert.pem')
        key = os.path.join(session.dir, 'tls-key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                        '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert],
                       check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.done = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.done:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except OSError:
                pass

    def close(self):
        self.done = True
        self.sock.close()


class OtherMerchant:
    """A second merchant on the platform, through the API, with a live feed
    (python3-websocket) so the platform counts it online."""

    def __init__(self, platform, user, password):
        import websocket
        self.platform = platform
        self.token = platform.login(user, password)
        self.ws = websocket.create_connection('ws://127.0.0.1:%d/v1/feed?since=0' % platform.port,
                                              header=['Authorization: Bearer ' + self.token], timeout=60)
        self.offered = set()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        platform.ok('PATCH', '/v1/merchants/me', {'online': True}, self.token)

    def _run(self):
        while not self.done:
            try:
                msg = json.loads(self.ws.recv())
            except Exception:
                return
            if msg.get('type') == 'order.offered':
                self.offered.add(msg['order']['id'])
            if 'seq' in msg:
                try:
                    self.ws.send(json.dumps({'type': 'ack', 'seq': msg['seq']}))
                except Exception:
                    return

    def accept(self, order_id):
        wait_until(lambda: order_id in self.offered, 20, 'the offer reaching the other merchant')
        return self.platform.request('POST', '/v1/orders/%s/accept' % order_id, {}, self.token)

    def close(self):
        self.done = True
        try:
            self.ws.close()
        except Exception:
            pass


# ----------------------------------------------------------------- the app

class App:
    def __init__(self, session, *args):
        self.session = session
        if os.path.exists(session.state_path):
            os.unlink(session.state_path)
        self.log_path = os.path.join(session.dir, 'app-%d.log' % time.monotonic_ns())
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen([APP] + list(args), stdout=self.log, stderr=subprocess.STDOUT)
        session.procs.append(self.proc)
        wait_until(lambda: os.path.exists(session.state_path) or self.proc.poll() is not None,
                   30, 'the app to show its window')
        check(self.proc.poll() is None, 'the app is running', self.log_tail())

    def log_tail(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()[-3000:]

    def state(self):
        try:
            with open(self.session.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def wait(self, pred, what, timeout=20):
        try:
            return wait_until(lambda: pred(self.state()), timeout, what)
        except Failed:
            log('last state:', json.dumps(self.state()))
            log('app log:', self.log_tail())
            raise

    def _call(self, path, method, *args):
        r = subprocess.run(['gdbus', 'call', '--session', '--dest', 'com.example.UsdtPay',
                            '--object-path', path, '--method', 'org.gtk.Actions.' + method] + list(args),
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, 'D-Bus %s %s' % (method, args[0]), r.stderr)

    def action(self, name, param=None, window=False):
        path = '/com/example/UsdtPay/window/1' if window else '/com/example/UsdtPay'
        self._call(path, 'Activate', name, '[]' if param is None else '[%s]' % param, '{}')

    def set_state(self, name, value, window=True):
        path = '/com/example/UsdtPay/window/1' if window else '/com/example/UsdtPay'
        self._call(path, 'SetState', name, value, '{}')

    def screenshot(self, name):
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name + '.png')
        if os.path.exists(path):
            os.unlink(path)
        self.action('test-screenshot', "<'%s'>" % path)
        wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, 30, 'screenshot ' + name)
        log('screenshot', path)
        return path

    def quit(self):
        if self.proc.poll() is None:
            self.action('quit')
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Failed('the app did not quit within 20 s')
        self.log.close()
        rc = self.proc.returncode
        check(rc == 0, 'the app exits 0 on Quit', rc, self.log_tail())
        with open(self.log_path, errors='replace') as f:
            check('-CRITICAL **' not in f.read(), 'no critical warnings from the app', self.log_tail())


def in_section(section, order_id):
    return lambda s: order_id in s.get('sections', {}).get(section, [])


def nowhere(order_id):
    return lambda s: bool(s) and all(order_id not in ids for ids in s.get('sections', {}).values())


def keyring_lookup(url, user):
    check(TEST_SECRETS != '', 'test-secrets is built')
    r = subprocess.run([TEST_SECRETS, '--lookup', url, user], capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, 'test-secrets --lookup', r.stderr)
    return r.stdout.strip() or None


def logged_in_app_when(session, platform, user, pwfile, connected):
    app = App(session, '--platform', platform.url, '--username', user, '--password-file', pwfile)
    app.wait(lambda s: s.get('page') == 'desk' and connected(s), 'the desk, connected to the feed')
    return app


def logged_in_app(session, platform, user, pwfile):
    return logged_in_app_when(session, platform, user, pwfile, lambda s: s.get('connection') == 'Connected')


def go_online(app):
    app.set_state('online', '<true>')
    app.wait(lambda s: s.get('online') is True, 'the merchant online')


# ----------------------------------------------------------------- tests

def test_keyring(session):
    r = subprocess.run([TEST_SECRETS], capture_output=True, text=True, timeout=60)
    sys.stdout.write(r.stdout + r.stderr)
    check(r.returncode == 0, 'test-secrets passes', r.returncode)


def test_login_errors(session):
    # Plain http:// to anything but loopback is refused before any request.
    app = App(session, '--platform', 'http://pay.example.com', '--username', 'alice',
              '--password-file', '/dev/null')
    app.wait(lambda s: s.get('page') == 'login' and 'http://' in s.get('login_error', ''),
             'the inline refusal of plain http')
    app.quit()

    # The platform down at start: nothing listens on the port.
    port = free_port()
    app = App(session, '--platform', 'http://127.0.0.1:%d' % port, '--username', 'alice',
              '--password-file', '/dev/null')
    app.wait(lambda s: s.get('page') == 'login' and 'Could not reach the platform' in s.get('login_error', ''),
             'the inline "could not reach" error')
    app.screenshot('login-platform-down')
    app.quit()

    if not PLATFORM:
        log('usdtpay-platform not built: wrong-password and TLS cases not run')
        return

    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'right-password')
    wrong = os.path.join(session.dir, 'wrong-pw')
    with open(wrong, 'w') as f:
        f.write('wrong-password\n')
    app = App(session, '--platform', platform.url, '--username', 'alice', '--password-file', wrong)
    app.wait(lambda s: s.get('page') == 'login' and s.get('login_error') == 'Wrong username or password.',
             'the inline wrong-password error')
    app.screenshot('login-wrong-password')
    check(keyring_lookup(platform.url, 'alice') is None, 'no token stored after a failed login')
    app.quit()

    # A TLS server whose certificate nobody vouches for: a TLS problem,
    # said as such, not "unreachable".
    tls = TlsServer(session)
    app = App(session, '--platform', 'https://127.0.0.1:%d' % tls.port, '--username', 'alice',
              '--password-file', pw)
    app.wait(lambda s: s.get('page') == 'login' and s.get('login_error', '') != '',
             'an inline TLS error')
    log('TLS error shown:', app.state()['login_error'])
    check('not secure' in app.state()['login_error'],
          'the error names the TLS problem', app.state()['login_error'])
    app.screenshot('login-tls-error')
    tls.close()
    app.quit()
    platform.stop()


def test_session_restore(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    app = logged_in_app(session, platform, 'alice', pw)
    token = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    check(token.startswith('us_'), 'the keyring holds the session token', token)
    # The token is in the keyring, never in a file of ours.
    for root, _, files in os.walk(session.dir):
        if root.startswith(os.path.join(session.dir, 'platform')) or \
                root.startswith(os.path.join(session.dir, 'run')) or \
                root.startswith(os.path.join(session.dir, 'data', 'keyrings')):
            continue
        for name in files:
            path = os.path.join(root, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, 'rb') as f:
                check(token.encode() not in f.read(), 'the token is not in ' + os.path.join(root, name))
    app.quit()

    # The next start logs in with the stored token, no password given.
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and s.get('connection') == 'Connected',
             'the desk from the stored session')
    app.action('logout')
    app.wait(lambda s: s.get('page') == 'login', 'the login page after Log Out')
    wait_until(lambda: keyring_lookup(platform.url, 'alice') is None, 10, 'the token deleted from the keyring')
    st, _ = platform.request('GET', '/v1/merchants/me', token=token)
    check(st == 401, 'the platform ended the session too', st)
    app.quit()

    # And the start after that asks for the password.
    app = App(session)
    app.wait(lambda s: s.get('page') == 'login', 'the login page after a logged-out start')
    app.quit()

    # A stored session the platform has ended: back to the login page, and
    # the dead token leaves the keyring.
    app = logged_in_app(session, platform, 'alice', pw)
    app.quit()
    token = keyring_lookup(platform.url, 'alice')
    platform.ok('DELETE', '/v1/sessions/current', token=token, status=(200, 204))
    app = App(session)
    app.wait(lambda s: s.get('page') == 'login' and 'session has ended' in s.get('login_error', ''),
             'the login page saying the session ended')
    wait_until(lambda: keyring_lookup(platform.url, 'alice') is None, 10, 'the dead token deleted')
    app.quit()

    # The platform down at start with a stored session: the desk, waiting
    # for the platform, which it joins when it is back.
    app = logged_in_app(session, platform, 'alice', pw)
    app.quit()
    port = platform.port
    platform.stop()
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and s.get('connection', '').startswith('Reconnecting'),
             'the desk, reconnecting')
    platform.start(port)
    app.wait(lambda s: s.get('connection') == 'Connected', 'connected once the platform is back', timeout=45)
    app.quit()
    platform.stop()


def test_sound(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    session.gsettings('repeat-interval', '0')
    app = logged_in_app(session, platform, 'alice', pw)
    go_online(app)

    rec = Recorder(session, 'offer-on')
    o1 = platform.create_order(shop, 1)
    app.wait(in_section('offers', o1['id']), 'the offer in the app')
    time.sleep(2.0)
    peak_on, n_on = rec.stop()
    check(n_on > 44100, 'something was recorded', n_on)
    check(peak_on > 100, 'the new-offer alert is heard', peak_on)

    # Turned off where a merchant turns it off: Preferences, bound to GSettings.
    app.action('preferences')
    time.sleep(1.0)
    app.screenshot('preferences')
    session.gsettings('sound-new-offer', 'false')
    time.sleep(1.0)
    app.screenshot('preferences-new-offer-off')
    app.action('test-close-preferences')
    rec = Recorder(session, 'offer-off')
    o2 = platform.create_order(shop, 2)
    app.wait(in_section('offers', o2['id']), 'the second offer in the app')
    time.sleep(3.0)
    peak_off, n_off = rec.stop()
    # At least a second of audio after the offer's arrival, where the
    # 1 s alert would be, is silent.
    check(n_off > 2 * 44100, 'more than a second was recorded', n_off)
    check(peak_off == 0, 'silence when the new-offer sound is off', peak_off)

    # The Preferences "Play" button sounds even when the alert is off; the
    # button activates app.play-sound, as this does.
    rec = Recorder(session, 'play-button')
    app.action('play-sound', "<'new-offer'>")
    time.sleep(2.0)
    peak_play, _ = rec.stop()
    check(peak_play > 100, 'the Play button is heard', peak_play)
    app.quit()
    platform.stop()


def test_confirm_retry(session):
    # A release whose request finds the platform down is sent again until it
    # gets an answer, and releases once; a second confirm never sends twice.
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    app = logged_in_app(session, platform, 'alice', pw)
    alice = keyring_lookup(platform.url, 'alice')
    go_online(app)
    o1 = platform.create_order(shop, 1)
    app.wait(in_section('offers', o1['id']), 'the offer')
    app.action('take', "<'%s'>" % o1['id'], window=True)
    app.wait(in_section('awaiting', o1['id']), 'taken')
    platform.customer_pays(o1)
    app.wait(in_section('confirm', o1['id']), 'paid')
    before = platform.ok('GET', '/v1/ledger/balances', token=alice)

    app.action('confirm', "<'%s'>" % o1['id'], window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the confirm dialog')
    # A second Confirm while the dialog is open opens nothing more.
    app.action('confirm', "<'%s'>" % o1['id'], window=True)
    port = platform.port
    platform.stop()
    app.action('test-respond', "<'release'>")
    app.wait(lambda s: s.get('dialog') is False, 'the dialog closed')
    # While the release is in flight, Confirm opens no dialog.
    time.sleep(1.5)
    app.action('confirm', "<'%s'>" % o1['id'], window=True)
    time.sleep(0.5)
    check(app.state().get('dialog') is False, 'no second dialog while releasing')
    check(in_section('confirm', o1['id'])(app.state()), 'still waiting for the platform')
    platform.start(port)
    app.wait(nowhere(o1['id']), 'the release to go through after the platform is back', timeout=45)
    check(app.state().get('last_toast', '').startswith('Released 100.000000 USDT'), 'the release toast',
          app.state().get('last_toast'))
    check(platform.order(o1['id'], alice)['state'] == 'completed', 'completed on the platform')
    after = platform.ok('GET', '/v1/ledger/balances', token=alice)
    check(micro(before['frozen']) - micro(after['frozen']) == 100 * 1000000, 'released exactly once',
          before, after)
    check(micro(after['available']) == micro(before['available']), 'nothing else moved', before, after)
    # The Wallet page follows the ledger through the feed.
    app.wait(lambda s: wallet(s).get('available') == after['available'] + ' USDT'
             and wallet(s).get('frozen') == after['frozen'] + ' USDT', 'the Wallet page to show the balances')

    # Appeal from the row's menu, with a reason: the order leaves for History.
    o2 = platform.create_order(shop, 2)
    app.wait(in_section('offers', o2['id']), 'the second offer')
    app.action('take', "<'%s'>" % o2['id'], window=True)
    app.wait(in_section('awaiting', o2['id']), 'taken')
    platform.customer_pays(o2, payer='Zhang San')
    app.wait(in_section('confirm', o2['id']), 'paid')
    app.action('appeal', "<'%s'>" % o2['id'], window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the appeal dialog')
    time.sleep(0.5)
    app.screenshot('appeal-dialog')
    app.action('test-respond', "<'appeal'>")
    app.wait(nowhere(o2['id']), 'the appealed order to leave the page')
    app.wait(lambda s: o2['id'] in s.get('history', []), 'the appealed order in History')
    check(platform.order(o2['id'], alice)['state'] == 'disputed', 'disputed on the platform')
    app.quit()

    # History works offline: the platform down, the app starts from the
    # keyring and shows the closed orders from its local cache.
    platform.stop()
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and o1['id'] in s.get('history', [])
             and o2['id'] in s.get('history', []), 'History from the cache, offline')
    # The feed starts once the order listing has failed, which may come
    # after the cache has filled History.
    app.wait(lambda s: s.get('connection', '').startswith(('Reconnecting', 'Connecting')),
             'the feed reconnecting while the platform is down')
    app.action('show-order', "<'%s'>" % o2['id'])
    app.wait(lambda s: s.get('history_detail') == 'CNY 720.00', 'the cached order\'s detail')
    time.sleep(0.5)
    app.screenshot('history-offline')
    app.quit()


def micro(text):
    whole, _, frac = text.partition('.')
    return int(whole) * 1000000 + int((frac + '000000')[:6])


def test_zh_cn(session):
    # The zh_CN catalogue is used: the login page's error, in Chinese.
    os.environ['LANGUAGE'] = 'zh_CN'
    port = free_port()
    app = App(session, '--platform', 'http://127.0.0.1:%d' % port, '--username', 'alice',
              '--password-file', '/dev/null')
    app.wait(lambda s: s.get('page') == 'login' and s.get('login_error', '').startswith('无法连接到位于'),
             'the inline error in Chinese')
    time.sleep(0.5)
    app.screenshot('login-zh_CN')
    app.quit()
    if not PLATFORM:
        return
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    app = logged_in_app_when(session, platform, 'alice', pw, lambda s: s.get('connection') == '已连接')
    go_online(app)
    o1 = platform.create_order(shop, 1, method='bank')
    app.wait(in_section('offers', o1['id']), 'the offer')
    time.sleep(1.5)
    app.screenshot('orders-zh_CN')
    app.quit()
    platform.stop()


def test_settings(session):
    # The Wallet page's payment methods and limits: what the platform has,
    # followed live, and saved back.
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    app = logged_in_app(session, platform, 'alice', pw)
    app.wait(lambda s: s.get('methods') == ['bank', 'alipay'] and s.get('min') == '1.000000'
             and s.get('max') == '100000.000000' and s.get('cap') == 10, 'the settings shown')
    app.action('save-settings', window=True)
    app.wait(lambda s: s.get('last_toast') == 'Payment methods and limits saved', 'saved')
    token = platform.login('alice', 'alice-password')
    me = platform.ok('GET', '/v1/merchants/me', token=token)
    check([m['id'] for m in me['methods']] == ['bank', 'alipay'] and me['cap'] == 10
          and me['min'] == '1.000000', 'saving what is shown changes nothing', me)
    check(me['methods'][1]['account_name'] == 'Alice Example', 'the details kept', me)
    # Changed elsewhere: the page follows the feed.
    platform.ok('PATCH', '/v1/merchants/me', {'methods': [me['methods'][1]], 'cap': 5, 'max': '500'}, token)
    app.wait(lambda s: s.get('methods') == ['alipay'] and s.get('cap') == 5 and s.get('max') == '500.000000',
             'the settings changed on the platform')
    app.action('show-page', "<'account'>", window=True)
    time.sleep(0.5)
    app.screenshot('wallet-settings')
    app.quit()
    platform.stop()


def test_narrow(session):
    # The window works down to 360 px wide: the header still fits.
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    session.gsettings('window-width', '360')
    app = logged_in_app(session, platform, 'alice', pw)
    go_online(app)
    o1 = platform.create_order(shop, 1)
    app.wait(in_section('offers', o1['id']), 'the offer')
    time.sleep(1.5)
    app.screenshot('narrow')
    width = app.state().get('width')
    check(width is not None and width <= 360, 'the window is 360 px wide', width)
    app.quit()
    platform.stop()


def test_repeat(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    session.gsettings('repeat-interval', '2')
    app = logged_in_app(session, platform, 'alice', pw)
    go_online(app)
    # Out of sight: in the background, nothing is seen.
    app.action('test-close-window')
    time.sleep(1.0)
    o1 = platform.create_order(shop, 1)
    app.wait(in_section('offers', o1['id']), 'the offer')
    app.wait(lambda s: s.get('repeating') == 1, 'the offer waiting to be seen')
    time.sleep(1.5)
    rec = Recorder(session, 'repeat')
    time.sleep(3.0)
    peak, _ = rec.stop()
    check(peak > 100, 'the unseen offer sounds again', peak)
    # Taking it is seeing it: the repeats stop.
    app.action('take', "<'%s'>" % o1['id'], window=True)
    app.wait(in_section('awaiting', o1['id']), 'the offer taken')
    app.wait(lambda s: s.get('repeating') == 0, 'no more repeats')
    time.sleep(1.2)
    rec = Recorder(session, 'after-seen')
    time.sleep(4.5)
    peak, n = rec.stop()
    check(n > 2 * 44100 * 2, 'more than two seconds recorded', n)
    check(peak == 0, 'silence once seen', peak)
    app.quit()
    platform.stop()


def test_merchant_flow(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    platform.add_merchant('bob', 'bob-password')
    other = OtherMerchant(platform, 'bob', 'bob-password')
    bob = other.token
    shop = platform.add_shop('shop')
    app = logged_in_app(session, platform, 'alice', pw)
    alice = keyring_lookup(platform.url, 'alice')
    app.screenshot('orders-empty')
    go_online(app)

    # An offer appears; take it; it moves on the customer's payment.
    o1 = platform.create_order(shop, 1)
    app.wait(in_section('offers', o1['id']), 'the offer')
    app.screenshot('orders-offer')
    app.action('take', "<'%s'>" % o1['id'], window=True)
    app.wait(in_section('awaiting', o1['id']), 'the taken order awaiting payment')
    check(platform.order(o1['id'], alice)['merchant'] == 'alice', 'the platform matched it to alice')
    platform.customer_pays(o1)
    app.wait(in_section('confirm', o1['id']), 'the paid order to confirm')
    app.screenshot('orders-paid')

    # Confirm: the dialog, then the release; the row leaves.
    app.action('confirm', "<'%s'>" % o1['id'], window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the confirm dialog')
    time.sleep(0.5)
    app.screenshot('confirm-dialog')
    app.action('test-respond', "<'release'>")
    app.wait(nowhere(o1['id']), 'the confirmed order to leave the page')
    app.wait(lambda s: o1['id'] in s.get('history', []), 'the completed order in History')
    check(platform.order(o1['id'], alice)['state'] == 'completed', 'the platform completed it')
    app.action('show-page', "<'history'>", window=True)
    time.sleep(0.5)
    app.screenshot('history')
    # A closed order shown opens History at its row, with its detail.
    app.action('show-order', "<'%s'>" % o1['id'])
    app.wait(lambda s: s.get('history_detail') == 'CNY 720.00', 'the order\'s detail in History')
    time.sleep(0.5)
    app.screenshot('history-detail')
    app.action('show-page', "<'wallet'>", window=True)
    time.sleep(0.5)
    app.screenshot('wallet')
    app.action('show-page', "<'orders'>", window=True)

    # Lose a race: bob takes the offer first. Either the app's take answers
    # already_taken (toast) or offer.withdrawn arrives first; both end with
    # the row gone and the order bob's.
    o2 = platform.create_order(shop, 2)
    app.wait(in_section('offers', o2['id']), 'the second offer')
    st, _ = other.accept(o2['id'])
    check(st == 200, 'bob takes the second offer', st)
    app.action('take', "<'%s'>" % o2['id'], window=True)
    app.wait(nowhere(o2['id']), 'the lost offer to leave')
    check(platform.order(o2['id'], bob)['merchant'] == 'bob', 'bob won the race')
    log('race outcome toast:', app.state().get('last_toast'))

    # Lose a race for certain: the take reaches the platform first as bob's
    # only when the app has not yet seen the withdrawal, so stop the feed's
    # effect by taking through the app while bob's accept is in flight.
    o3 = platform.create_order(shop, 3)
    app.wait(in_section('offers', o3['id']), 'the third offer')
    wait_until(lambda: o3['id'] in other.offered, 20, 'the third offer reaching bob')
    t = threading.Thread(target=lambda: other.accept(o3['id']))
    t.start()
    app.action('take', "<'%s'>" % o3['id'], window=True)
    t.join()
    app.wait(lambda s: nowhere(o3['id'])(s) or in_section('awaiting', o3['id'])(s), 'the third race to settle')
    winner = platform.order(o3['id'], alice if in_section('awaiting', o3['id'])(app.state()) else bob)['merchant']
    check(winner in ('alice', 'bob'), 'someone won', winner)
    if winner == 'alice':
        check(in_section('awaiting', o3['id'])(app.state()), 'the app shows its win')
    else:
        check(nowhere(o3['id'])(app.state()), 'the app shows its loss')

    # Platform restart while logged in: the app reconnects, resumes, and its
    # state equals the platform's own.
    o4 = platform.create_order(shop, 4)
    app.wait(in_section('offers', o4['id']), 'the fourth offer')
    port = platform.port
    platform.stop()
    app.wait(lambda s: s.get('connection', '').startswith('Reconnecting'), 'Reconnecting in N s')
    app.screenshot('reconnecting')
    # A setting change the platform does not take is rolled back, with a toast.
    app.set_state('auto-match', '<true>')
    app.wait(lambda s: s.get('last_toast', '').startswith('Auto-match could not be turned on')
             and s.get('auto_match') is False, 'Auto-match rolled back with a toast')
    platform.start(port)
    app.wait(lambda s: s.get('connection') == 'Connected', 'connected again', timeout=45)
    o5 = platform.create_order(shop, 5)
    app.action('take', "<'%s'>" % o4['id'], window=True)
    app.wait(in_section('awaiting', o4['id']), 'the offer taken after the restart')
    platform.customer_pays(o4)
    app.wait(in_section('confirm', o4['id']), 'paid after the restart')
    truth = platform.open_orders(alice)
    app.wait(lambda s: sorted(s['sections']['confirm']) == truth['paid']
             and sorted(s['sections']['awaiting']) == [i for i in truth['matched']]
             and sorted(s['sections']['offers']) == truth['pending'],
             'the app to show exactly the platform\'s open orders %r' % truth)
    check(o5['id'] in truth['pending'] or o5['id'] in truth['matched'], 'o5 is open', truth)
    other.close()
    app.quit()
    platform.stop()


def test_background(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    session.gsettings('repeat-interval', '0')
    notes = Notifications(session)
    app = logged_in_app(session, platform, 'alice', pw)
    go_online(app)
    # Closing the window while online keeps the app running, still live,
    # and a notification says so.
    app.action('test-close-window')
    notes.wait(lambda n: n['summary'] == 'UsdtPay Is Still Running', 'the "still running" notification')
    check(app.proc.poll() is None, 'the app keeps running in the background')
    o1 = platform.create_order(shop, 1, fiat='720.00', method='alipay')
    app.wait(in_section('offers', o1['id']), 'an offer arriving in the background')
    # The window is not active: a notification with the amounts and method,
    # whose default action opens the order.
    n = notes.wait(lambda n: n['summary'] == 'New Order Offered', 'the new-offer notification')[0]
    check(n['body'] == 'CNY 720.00 · 100.000000 USDT · Alipay', 'the notification body', n)
    check('default' in n['actions'], 'the notification has a default action', n)
    app.action('show-order', "<'%s'>" % o1['id'])
    app.wait(lambda s: s.get('page') == 'desk', 'the window back')
    time.sleep(1.0)
    app.screenshot('back-from-background')
    # Seen (the window back and active) or at the latest at Log Out, the
    # order's notification is withdrawn.
    app.action('logout')
    wait_until(lambda: notes.closed(), 10, 'the order notification withdrawn')
    app.quit()
    platform.stop()


def x_window_viewable(name):
    r = subprocess.run(['xwininfo', '-name', name], capture_output=True, text=True)
    return r.returncode == 0 and 'IsViewable' in r.stdout


def bench_app_startup(session):
    calculator = shutil.which('gnome-calculator')
    if calculator is None:
        raise Skip('gnome-calculator is not installed')
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    # A first run logs in and keeps the token; the measured runs start from
    # the keyring like a merchant's every morning.
    app = logged_in_app(session, platform, 'alice', pw)
    app.quit()

    ours, theirs, ours_mapped = [], [], []
    for _ in range(5):
        start = time.monotonic()
        app = App(session)
        app.wait(lambda s: s.get('desk_frame_at', 0) > 0, 'the logged-in window drawn', timeout=60)
        state = app.state()
        ours.append(state['desk_frame_at'] / 1e6 - start)
        app.quit()

        start = time.monotonic()
        proc = subprocess.Popen([calculator], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        session.procs.append(proc)
        wait_until(lambda: x_window_viewable('Calculator'), 60, 'the calculator window', interval=0.005)
        theirs.append(time.monotonic() - start)
        proc.terminate()
        proc.wait(20)

        start = time.monotonic()
        app = App(session)
        wait_until(lambda: x_window_viewable('UsdtPay'), 60, 'the UsdtPay window', interval=0.005)
        ours_mapped.append(time.monotonic() - start)
        app.wait(lambda s: s.get('page') == 'desk', 'the desk')
        app.quit()

    def median(values):
        return sorted(values)[len(values) // 2]

    print('app-startup: usdtpay to the first frame of the logged-in window: median %.0f ms (%s)'
          % (median(ours) * 1000, ', '.join('%.0f' % (v * 1000) for v in ours)))
    print('app-startup: usdtpay to its window viewable: median %.0f ms' % (median(ours_mapped) * 1000))
    print('app-startup: gnome-calculator to its window viewable: median %.0f ms (%s)'
          % (median(theirs) * 1000, ', '.join('%.0f' % (v * 1000) for v in theirs)))
    print('app-startup: ratio (logged-in usdtpay / gnome-calculator) %.2f, target <= 1.0'
          % (median(ours) / median(theirs)))
    platform.stop()


def bench_alert_latency(session):
    r = subprocess.run([os.environ['USDTPAY_BENCH_ALERT_LATENCY']], capture_output=True, text=True,
                       timeout=240)
    sys.stdout.write(r.stdout)
    check(r.returncode == 0, 'bench-alert-latency ran', r.returncode, r.stderr[-2000:])


def verify_cached_receipts(session, key_set):
    """Every receipt in the app's cache verifies with PyNaCl, an Ed25519
    implementation independent of ours, under @key_set."""
    import sqlite3
    import nacl.signing
    keys = {k['id']: nacl.signing.VerifyKey(bytes.fromhex(k['public_key'])) for k in key_set['keys']}
    db = sqlite3.connect(os.path.join(session.dir, 'data', 'usdtpay', 'cache.db'))
    try:
        rows = db.execute('SELECT id, seq, key_id, receipt, signature, verified FROM receipts').fetchall()
    finally:
        db.close()
    for order_id, seq, key_id, text, signature, verified in rows:
        receipt = json.loads(text)
        check(receipt['id'] == order_id and receipt['seq'] == seq and receipt['key_id'] == key_id,
              'the cached receipt is its order\'s', order_id)
        canonical = json.dumps(receipt, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        check(canonical == text, 'the cached receipt is canonical', text)
        keys[key_id].verify(text.encode('utf-8'), bytes.fromhex(signature))
        check(verified == 1, 'the app marked it verified', order_id)
    return rows


def test_receipts_keys(session):
    """The key set is pinned at the first login; a rotation endorsed by the
    pinned key is accepted; an unrelated key set is refused loudly, and no
    receipt is shown verified under it."""
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    app = logged_in_app(session, platform, 'alice', pw)
    app.wait(lambda s: not s.get('keys_checking') and s.get('keys_pinned') == 1,
             'the platform\'s key set pinned')
    check(app.state().get('keys_problem') == '', 'no key warning at the first login', app.state())
    alice = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    go_online(app)

    # An order completed (by alice's own session, straight on the API): its
    # receipt is fetched, verified and cached, and History says so.
    o1 = platform.create_order(shop, 1, fiat='720.00')
    app.wait(in_section('offers', o1['id']), 'the offer')
    platform.ok('POST', '/v1/orders/%s/accept' % o1['id'], {}, alice)
    platform.customer_pays(o1)
    platform.ok('POST', '/v1/orders/%s/confirm' % o1['id'], {}, alice)
    app.wait(lambda s: o1['id'] in s.get('history', []), 'the completed order in History')
    app.action('show-order', "<'%s'>" % o1['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('Verified'), 'the receipt verified in the detail')
    time.sleep(0.5)
    app.screenshot('history-receipt-verified')
    keys1 = platform.ok('GET', '/v1/platform-keys')
    rows = wait_until(lambda: verify_cached_receipts(session, keys1), 10, 'the receipt in the cache')
    check([r[0] for r in rows] == [o1['id']], 'the cache holds exactly the completed order\'s receipt', rows)
    app.quit()

    # A rotation through the running daemon: the new key is endorsed by the
    # pinned one, so the next start accepts it without a warning.
    platform.admin('rotate-signing-key')
    keys2 = platform.ok('GET', '/v1/platform-keys')
    check(len(keys2['keys']) == 2, 'the rotated key set has two keys', keys2)
    o2 = platform.create_order(shop, 2, fiat='730.00')
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and not s.get('keys_checking')
             and s.get('keys_pinned') == 2, 'the successor key set accepted')
    check(app.state().get('keys_problem') == '', 'no warning for an endorsed successor', app.state())
    go_online(app)
    app.wait(in_section('offers', o2['id']), 'the second offer')
    platform.ok('POST', '/v1/orders/%s/accept' % o2['id'], {}, alice)
    platform.customer_pays(o2)
    platform.ok('POST', '/v1/orders/%s/confirm' % o2['id'], {}, alice)
    app.wait(lambda s: o2['id'] in s.get('history', []), 'the second completed order in History')
    app.action('show-order', "<'%s'>" % o2['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('Verified'), 'the new key\'s receipt verified')
    wait_until(lambda: len(verify_cached_receipts(session, keys2)) == 2, 10, 'both receipts cached')
    app.quit()

    # History and its verified receipts with the platform stopped.
    port = platform.port
    platform.stop()
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and o1['id'] in s.get('history', []),
             'History from the cache with the platform stopped')
    app.wait(lambda s: not s.get('keys_checking'), 'the pinned keys used offline')
    app.action('show-order', "<'%s'>" % o1['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('Verified'), 'verified offline')
    app.wait(lambda s: 'order.completed' in s.get('timeline', []), 'the timeline from the cache, offline')
    time.sleep(0.3)
    app.screenshot('history-detail-offline')
    app.quit()

    # A platform with a new, unrelated key (its key file lost): loud warning,
    # and the old receipts are no longer shown as verified under it.
    os.rename(platform.db + '.signing-key', platform.db + '.signing-key.lost')
    platform.start(port)
    keys3 = platform.ok('GET', '/v1/platform-keys')
    check(keys3['keys'][0]['id'] != keys1['keys'][0]['id'], 'the platform made a new key', keys3)
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and 'not endorse' in s.get('keys_problem', ''),
             'the warning about an unendorsed key set')
    check(app.state().get('keys_pinned') == 0, 'no key set is trusted', app.state())
    check('Receipts cannot be verified' in app.state().get('last_toast', ''), 'a toast says so', app.state())
    app.action('show-order', "<'%s'>" % o1['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('⚠ Not verified'), 'the receipt not verified')
    time.sleep(0.5)
    app.screenshot('keys-unendorsed')
    app.quit()
    platform.stop()


def test_support_desk(session):
    """Support logs in to its own desk: disputes oldest first with both
    sides, resolved with a mandatory reason; merchants suspended and
    unsuspended with one; History with every merchant's orders."""
    platform = Platform(session).start()
    platform.add_merchant('alice', 'alice-password')
    platform.add_merchant('bob', 'bob-password')
    pw = os.path.join(platform.dir, 'pw-sam')
    with open(pw, 'w') as f:
        f.write('sam-password\n')
    platform.admin('add-support', 'sam', '--password-file', pw)
    shop = platform.add_shop('shop')
    merchants = {'alice': OtherMerchant(platform, 'alice', 'alice-password'),
                 'bob': OtherMerchant(platform, 'bob', 'bob-password')}
    alice = merchants['alice'].token
    bob = merchants['bob'].token

    def disputed(n, token, fiat):
        o = platform.create_order(shop, n, fiat=fiat)
        st, answer = [m for m in merchants.values() if m.token == token][0].accept(o['id'])
        check(st == 200, 'the merchant takes the order', st, answer)
        platform.customer_pays(o, payer='Payer %d' % n)
        t = urllib.parse.parse_qs(urllib.parse.urlparse(o['pay_url']).query)['t'][0]
        platform.ok('POST', '/v1/orders/%s/dispute' % o['id'], {'reason': 'I paid, nothing happened'}, t)
        return o

    d1 = disputed(1, alice, '720.00')
    d2 = disputed(2, bob, '730.00')
    # A completed order of bob's, for History's Merchant column.
    c3 = platform.create_order(shop, 3, fiat='740.00')
    check(merchants['bob'].accept(c3['id'])[0] == 200, 'bob takes the third order')
    platform.customer_pays(c3)
    platform.ok('POST', '/v1/orders/%s/confirm' % c3['id'], {}, bob)

    # A merchant may not resolve nor suspend.
    st, _ = platform.request('POST', '/v1/orders/%s/resolve' % d1['id'],
                             {'outcome': 'completed', 'reason': 'mine'}, alice)
    check(st == 403, 'a merchant cannot resolve', st)

    app = logged_in_app(session, platform, 'sam', pw)
    app.wait(lambda s: s.get('role') == 'support' and s.get('visible_page') == 'disputes',
             'the support desk on its Disputes page')
    check(app.state().get('switches_visible') is False, 'no Online/Auto-match switches for support')
    app.wait(lambda s: s.get('disputes') == [d1['id'], d2['id']], 'both disputes, oldest first')
    app.wait(lambda s: all('I paid, nothing happened' in s.get('appeals', {}).get(o['id'], '') for o in (d1, d2)),
             'each dispute with the appeal\'s reason, from its events')
    app.wait(lambda s: s.get('merchants') == {'alice': False, 'bob': False}, 'the merchants, active')
    app.action('show-page', "<'orders'>", window=True)
    time.sleep(0.3)
    check(app.state().get('visible_page') == 'disputes', 'support has no Orders page', app.state())
    # The Wallet page says why support has none.
    app.action('show-page', "<'wallet'>", window=True)
    app.wait(lambda s: s.get('visible_page') == 'wallet' and (s.get('wallet') or {}).get('state') == 'support',
             'the Wallet page for support')
    app.action('show-page', "<'disputes'>", window=True)
    app.wait(lambda s: s.get('visible_page') == 'disputes', 'back to Disputes')
    time.sleep(0.5)
    app.screenshot('support-disputes')

    # Resolve: no decision without a reason.
    app.action('resolve', "<'%s'>" % d1['id'], window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the resolve dialog')
    app.action('test-respond', "<'completed'>")
    time.sleep(0.5)
    check(app.state().get('dialog') is True, 'no resolution without a reason', app.state())
    check(platform.order(d1['id'], alice)['state'] == 'disputed', 'nothing was sent')
    app.action('test-dialog-text', "<'Bank statement shows the payment'>")
    time.sleep(0.3)
    app.screenshot('support-resolve-dialog')
    app.action('test-respond', "<'completed'>")
    app.wait(lambda s: s.get('disputes') == [d2['id']], 'the resolved dispute leaves the list')
    check(platform.order(d1['id'], alice)['state'] == 'completed', 'the platform completed it')
    events = platform.ok('GET', '/v1/orders/%s/events' % d1['id'], token=alice)['items']
    check(any('Bank statement shows the payment' in json.dumps(e) for e in events),
          'the reason is in the order\'s events', events)

    # The second, cancelled back to the merchant.
    app.action('resolve', "<'%s'>" % d2['id'], window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the second resolve dialog')
    app.action('test-dialog-text', "<'No payment reached the merchant'>")
    app.action('test-respond', "<'cancelled'>")
    app.wait(lambda s: s.get('disputes') == [], 'no disputes left')
    check(platform.order(d2['id'], bob)['state'] == 'cancelled', 'the platform cancelled it')

    # History: every merchant's orders; the resolution's receipt verified.
    app.wait(lambda s: all(o['id'] in s.get('history', []) for o in (d1, d2, c3)),
             'History with both merchants\' orders')
    app.action('show-order', "<'%s'>" % d1['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('Verified'), 'the resolution\'s receipt verified')
    app.wait(lambda s: s.get('timeline', [])[-2:] == ['order.disputed', 'order.resolved'],
             'the timeline: appealed, then resolved by support')
    app.action('show-order', "<'%s'>" % d2['id'])
    app.wait(lambda s: s.get('receipt_badge', '').startswith('Verified'), 'the cancellation\'s receipt verified')
    time.sleep(0.5)
    app.screenshot('support-history')

    # Suspend and unsuspend, each with a reason.
    app.action('show-page', "<'disputes'>", window=True)
    app.action('suspend', "<'alice'>", window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the suspend dialog')
    app.action('test-respond', "<'suspend'>")
    time.sleep(0.5)
    check(app.state().get('dialog') is True, 'no suspension without a reason', app.state())
    app.action('test-dialog-text', "<'Chargebacks reported by two shops'>")
    app.action('test-respond', "<'suspend'>")
    app.wait(lambda s: s.get('merchants', {}).get('alice') is True, 'alice shown suspended')
    listed = {m['name']: m['suspended'] for m in platform.ok('GET', '/v1/merchants',
                                                             token=platform.login('sam', 'sam-password'))['items']}
    check(listed.get('alice') is True and listed.get('bob') is False, 'the platform suspended alice', listed)
    time.sleep(0.3)
    app.screenshot('support-merchant-suspended')
    app.action('unsuspend', "<'alice'>", window=True)
    app.wait(lambda s: s.get('dialog') is True, 'the unsuspend dialog')
    app.action('test-dialog-text', "<'Shops withdrew the complaints'>")
    app.action('test-respond', "<'unsuspend'>")
    app.wait(lambda s: s.get('merchants', {}).get('alice') is False, 'alice active again')
    # A dispute still open when the platform goes away (below).
    d4 = disputed(4, alice, '750.00')
    app.wait(lambda s: s.get('disputes') == [d4['id']], 'a new dispute')
    app.quit()
    for m in merchants.values():
        m.close()

    # The next start opens the support desk again, from the stored session.
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and s.get('role') == 'support'
             and s.get('visible_page') == 'disputes', 'the support desk restored')
    app.wait(lambda s: s.get('disputes') == [d4['id']], 'the open dispute')
    app.quit()
    platform.stop()

    # The platform unreachable: the disputes as the cache last saw them.
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and s.get('visible_page') == 'disputes'
             and s.get('disputes') == [d4['id']], 'the open dispute from the cache, offline', timeout=30)
    # Their appeals from the cache too, once asking the platform failed.
    app.wait(lambda s: 'I paid, nothing happened' in s.get('appeals', {}).get(d4['id'], ''),
             'the appeal, from the cache', timeout=30)
    app.screenshot('support-disputes-offline')
    app.quit()


EXPORT_COLUMNS = ('id,created_at,completed_at,state,amount,fee,net,fiat_amount,fiat_currency,'
                  'method,merchant,shop,customer_ref,payer_name,seq,key_id,receipt,signature').split(',')
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def unneutralise(cell):
    """docs/receipts.md: drop the first ' of a cell that begins with ' and
    then zero or more ' and one of the six formula characters."""
    if cell.startswith("'") and cell[1:].lstrip("'")[:1] in FORMULA_START and cell[1:].lstrip("'"):
        return cell[1:]
    return cell


def read_export(path):
    import csv
    import io
    with open(path, newline='', encoding='utf-8') as f:
        raw = f.read()
    check(not raw.startswith('\ufeff'), 'no byte order mark')
    check(raw.endswith('\r\n'), 'records end with CRLF')
    rows = list(csv.reader(io.StringIO(raw, newline='')))
    check(rows and rows[0] == EXPORT_COLUMNS, 'the header names the columns', rows[:1])
    for row in rows[1:]:
        for cell in row:
            check(not cell.startswith(FORMULA_START), 'no cell starts a formula', cell)
    return [dict(zip(EXPORT_COLUMNS, [unneutralise(c) for c in row])) for row in rows[1:]]


CACHE_PLAIN_COLUMNS = ('id', 'version', 'state', 'created_at', 'matched_at', 'paid_at', 'completed_at',
                       'closed_at', 'amount', 'fee', 'net', 'fiat_amount', 'fiat_currency', 'method', 'merchant',
                       'shop', 'external_id', 'customer_ref', 'payer_name')


def cache_rows(session, platform_url, account, plain=False):
    """The cache's rows in the export's order (History's: closed_at
    descending, then id): (json, seq, key_id, receipt, signature, verified),
    plus a dict of the plain columns when @plain."""
    import sqlite3
    db = sqlite3.connect(os.path.join(session.dir, 'data', 'usdtpay', 'cache.db'))
    try:
        rows = db.execute('SELECT o.json, r.seq, r.key_id, r.receipt, r.signature, r.verified, %s FROM orders o '
                          'LEFT JOIN receipts r ON r.platform = o.platform AND r.id = o.id '
                          'WHERE o.platform = ? AND o.account = ? ORDER BY o.closed_at DESC, o.id'
                          % ', '.join('o.' + c for c in CACHE_PLAIN_COLUMNS),
                          (platform_url, account)).fetchall()
    finally:
        db.close()
    if plain:
        return [r[:6] + (dict(zip(CACHE_PLAIN_COLUMNS, r[6:])),) for r in rows]
    return [r[:6] for r in rows]


def rfc3339_usec(text):
    """An RFC 3339 UTC time as the platform writes it, in µs since the epoch."""
    import calendar
    if text is None:
        return 0
    date, _, rest = text.rstrip('Z').partition('T')
    hms, _, frac = rest.partition('.')
    y, mo, d = (int(x) for x in date.split('-'))
    h, mi, se = (int(x) for x in hms.split(':'))
    return calendar.timegm((y, mo, d, h, mi, se)) * 1000000 + int((frac + '000000')[:6])


def decimal_minor(text, decimals):
    from decimal import Decimal
    return int(Decimal(text).scaleb(decimals))


def check_plain_columns(cached):
    """The cache's plain columns say what its JSON says."""
    fiat_decimals = {'CNY': 2, 'JPY': 0}
    for row in cached:
        order, plain = json.loads(row[0]), row[6]
        for col in ('id', 'version', 'state', 'fiat_currency', 'method', 'merchant', 'shop', 'external_id',
                    'customer_ref', 'payer_name'):
            check(plain[col] == order.get(col), 'cache column %s of %s' % (col, order['id']), plain[col],
                  order.get(col))
        for col in ('created_at', 'matched_at', 'paid_at', 'completed_at', 'closed_at'):
            check(plain[col] == rfc3339_usec(order.get(col)), 'cache column %s of %s' % (col, order['id']),
                  plain[col], order.get(col))
        for col in ('amount', 'fee', 'net'):
            check(plain[col] == decimal_minor(order[col], 6), 'cache column %s of %s' % (col, order['id']))
        check(plain['fiat_amount'] == decimal_minor(order['fiat_amount'], fiat_decimals[order['fiat_currency']]),
              'cache column fiat_amount of ' + order['id'])


def check_export_equals_cache(rows, cached):
    check(len(rows) == len(cached), 'one row per cached order', len(rows), len(cached))
    for row, (text, seq, key_id, receipt, signature, _) in zip(rows, cached):
        order = json.loads(text)
        for col in ('id', 'created_at', 'completed_at', 'state', 'amount', 'fee', 'net', 'fiat_amount',
                    'fiat_currency', 'method', 'merchant', 'shop', 'customer_ref', 'payer_name'):
            want = order.get(col)
            check(row[col] == ('' if want is None else str(want)), 'column %s of %s' % (col, order['id']),
                  row[col], want)
        check(row['seq'] == ('' if seq is None else str(seq)), 'seq of ' + order['id'], row['seq'], seq)
        check(row['key_id'] == (key_id or ''), 'key_id of ' + order['id'])
        check(row['receipt'] == (receipt or ''), 'receipt of ' + order['id'])
        check(row['signature'] == (signature or ''), 'signature of ' + order['id'])


def nacl_verify_rows(rows, key_set):
    import nacl.signing
    import nacl.exceptions
    keys = {k['id']: nacl.signing.VerifyKey(bytes.fromhex(k['public_key'])) for k in key_set['keys']}
    bad = []
    for row in rows:
        if not row['receipt']:
            check(row['state'] != 'completed', 'a completed order has a receipt', row['id'])
            continue
        receipt = json.loads(row['receipt'])
        try:
            keys[row['key_id']].verify(row['receipt'].encode('utf-8'), bytes.fromhex(row['signature']))
        except (nacl.exceptions.BadSignatureError, KeyError):
            bad.append(row['id'])
            continue
        canonical = json.dumps(receipt, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
        for col in ('id', 'created_at', 'completed_at', 'state', 'amount', 'fee', 'net', 'fiat_amount',
                    'fiat_currency', 'method', 'merchant', 'shop', 'customer_ref', 'payer_name', 'seq'):
            want = receipt.get(col)
            if row[col] != ('' if want is None else str(want)) or canonical != row['receipt']:
                bad.append(row['id'])
                break
    return bad


def run_receipt_tool(keys_path, csv_path):
    check(RECEIPT_TOOL != '', 'usdtpay-receipt is built here')
    return subprocess.run([RECEIPT_TOOL, 'verify', '--keys', keys_path, csv_path],
                          capture_output=True, text=True, timeout=120)


def test_csv_export(session):
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    app = logged_in_app(session, platform, 'alice', pw)
    alice = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    go_online(app)

    # Completed orders whose texts a spreadsheet would run.
    refs = ['=1+2', '+SUM(A1)', '-2', '@cmd', "''+y", "'=x", 'plain, "quoted"', '客户 7']
    payers = ['=HYPERLINK("http://x")', 'Li Wei', '-', "''@y", 'Zhang San', '+1', '@', 'Wang Wu']
    completed = []
    for n, (ref, payer) in enumerate(zip(refs, payers)):
        o = platform.ok('POST', '/v1/orders', {
            'amount': '%d.%06d' % (10 + n, n * 1111), 'fiat_amount': '%d.%02d' % (72 + n, n),
            'fiat_currency': 'CNY', 'method': 'alipay', 'external_id': 'csv-%d-%d' % (os.getpid(), n),
            'customer_ref': ref}, shop)
        app.wait(in_section('offers', o['id']), 'offer %d' % n)
        platform.ok('POST', '/v1/orders/%s/accept' % o['id'], {}, alice)
        platform.customer_pays(o, payer=payer)
        platform.ok('POST', '/v1/orders/%s/confirm' % o['id'], {}, alice)
        completed.append(o['id'])
    # And one the shop cancels after alice accepted: no receipt, filtered by state.
    o = platform.ok('POST', '/v1/orders', {
        'amount': '5.000000', 'fiat_amount': '36.00', 'fiat_currency': 'CNY', 'method': 'bank',
        'external_id': 'csv-%d-cancelled' % os.getpid(), 'customer_ref': 'to cancel'}, shop)
    app.wait(in_section('offers', o['id']), 'the offer to cancel')
    platform.ok('POST', '/v1/orders/%s/accept' % o['id'], {}, alice)
    platform.ok('POST', '/v1/orders/%s/cancel' % o['id'], {}, shop)
    cancelled = o['id']
    everything = completed + [cancelled]
    app.wait(lambda s: all(i in s.get('history', []) for i in everything), 'every order in History')
    wait_until(lambda: sum(1 for r in cache_rows(session, platform.url, 'alice') if r[5] == 1) == len(completed),
               20, 'every receipt verified into the cache')
    key_set = platform.ok('GET', '/v1/platform-keys')
    keys_path = os.path.join(session.dir, 'keys.json')
    with open(keys_path, 'w') as f:
        json.dump(key_set, f)
    app.quit()

    # Without a display at all.
    out = os.path.join(session.dir, 'out')
    os.makedirs(out)
    env = dict(os.environ)
    for var in ('DISPLAY', 'WAYLAND_DISPLAY', 'XAUTHORITY'):
        env.pop(var, None)
    env['GDK_BACKEND'] = 'wayland'
    path = os.path.join(out, 'all.csv')
    r = subprocess.run([APP, '--export-csv', path], env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, 'usdtpay --export-csv with no display exits 0', r.returncode, r.stderr)
    rows = read_export(path)
    cached = cache_rows(session, platform.url, 'alice')
    check_export_equals_cache(rows, cached)
    check_plain_columns(cache_rows(session, platform.url, 'alice', plain=True))
    check(sorted(r['id'] for r in rows) == sorted(everything), 'every order exported')
    by_id = {r['id']: r for r in rows}
    check([by_id[i]['customer_ref'] for i in completed] == refs and
          [by_id[i]['payer_name'] for i in completed] == payers,
          'injection cases round-trip', [r['customer_ref'] for r in rows])
    check(by_id[cancelled]['state'] == 'cancelled' and by_id[cancelled]['receipt'] == '',
          'the cancelled order exported without a receipt', by_id[cancelled])
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    check("'=1+2" in text and "'=HYPERLINK" in text and "''=x" in text, 'formulas neutralised in the file')
    check(nacl_verify_rows(rows, key_set) == [], 'every receipt verifies with PyNaCl')
    tool = run_receipt_tool(keys_path, path)
    check(tool.returncode == 0, 'usdtpay-receipt verifies the export', tool.stdout, tool.stderr)

    # A tampered row is caught by both.
    victim = by_id[completed[2]]
    tampered_text = text.replace(',%s,' % victim['amount'], ',%s,' % '99' + victim['amount'][2:], 1)
    check(tampered_text != text, 'the tampering changed the file')
    tampered = os.path.join(out, 'tampered.csv')
    with open(tampered, 'w', encoding='utf-8', newline='') as f:
        f.write(tampered_text)
    check(victim['id'] in nacl_verify_rows(read_export(tampered), key_set), 'PyNaCl catches the tampered row')
    tool = run_receipt_tool(keys_path, tampered)
    check(tool.returncode == 1 and victim['id'] in tool.stdout + tool.stderr,
          'usdtpay-receipt catches the tampered row', tool.returncode, tool.stdout, tool.stderr)

    # Filters; refusals leave no file.
    path2 = os.path.join(out, 'completed.csv')
    r = subprocess.run([APP, '--export-csv', path2, '--state', 'completed', '--from', '2000-01-01'],
                       env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, '--state completed exits 0', r.stderr)
    check(sorted(x['id'] for x in read_export(path2)) == sorted(completed), 'only the completed orders')
    # A closed_at range, against a selection made here from the cache:
    # --from inclusive, --to exclusive, RFC 3339 bounds.
    plain = [r[6] for r in cache_rows(session, platform.url, 'alice', plain=True)]
    closed = sorted(p['closed_at'] for p in plain)
    lo, hi = closed[2], closed[6]

    def rfc3339(usec):
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(usec // 1000000)) + '.%06dZ' % (usec % 1000000)
    path4 = os.path.join(out, 'range.csv')
    r = subprocess.run([APP, '--export-csv', path4, '--from', rfc3339(lo), '--to', rfc3339(hi)],
                       env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, '--from/--to exits 0', r.stderr)
    want = [p['id'] for p in plain if lo <= p['closed_at'] < hi]
    check(len(want) >= 4 and [x['id'] for x in read_export(path4)] == want,
          'the range exports its orders, in order', want)
    path5 = os.path.join(out, 'cancelled.csv')
    r = subprocess.run([APP, '--export-csv', path5, '--state', 'cancelled'],
                       env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and [x['id'] for x in read_export(path5)] == [cancelled],
          '--state cancelled exports the cancelled order alone', r.stderr)
    path6 = os.path.join(out, 'both.csv')
    r = subprocess.run([APP, '--export-csv', path6, '--state', 'cancelled,completed'],
                       env=env, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and [x['id'] for x in read_export(path6)] == [x['id'] for x in rows],
          '--state cancelled,completed exports both, in the same order', r.stderr)
    path3 = os.path.join(out, 'none.csv')
    r = subprocess.run([APP, '--export-csv', path3, '--to', '2000-01-01'], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and read_export(path3) == [], 'an empty range exports the header alone')
    for args in (['--state', 'bogus'], ['--state', 'completed,bogus'], ['--from', 'yesterday']):
        bad = os.path.join(out, 'bad.csv')
        r = subprocess.run([APP, '--export-csv', bad] + args, env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and not os.path.exists(bad), 'refused %s: exit 1, no file' % args, r.returncode)
    r = subprocess.run([APP, '--export-csv', os.path.join(out, 'missing-dir', 'x.csv')], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1, 'an unwritable destination exits 1', r.returncode)
    check(sorted(os.listdir(out)) == ['all.csv', 'both.csv', 'cancelled.csv', 'completed.csv', 'none.csv',
                                      'range.csv', 'tampered.csv'],
          'no temporary or partial files left', os.listdir(out))

    # In the window, with the platform stopped: cancel leaves no file; then
    # a complete export equals the command line's.
    platform.stop()
    os.environ['USDTPAY_TEST_EXPORT_ROW_DELAY_US'] = '150000'
    try:
        app = App(session)
    finally:
        del os.environ['USDTPAY_TEST_EXPORT_ROW_DELAY_US']
    app.wait(lambda s: s.get('page') == 'desk' and all(i in s.get('history', []) for i in everything),
             'History from the cache with the platform stopped')
    app.action('show-page', "<'history'>", window=True)
    gui = os.path.join(out, 'gui.csv')
    app.action('test-export', "<'%s'>" % gui)
    app.wait(lambda s: s.get('export_status') == 'running' and s.get('export_done', 0) >= 2, 'the export running')
    time.sleep(0.3)
    app.screenshot('history-export-progress')
    app.action('export-cancel', window=True)
    app.wait(lambda s: s.get('export_status') == 'cancelled', 'the export cancelled')
    check(not os.path.exists(gui), 'a cancelled export leaves no file')
    check(not [n for n in os.listdir(out) if n.startswith('.')], 'nor a temporary file', os.listdir(out))
    app.action('test-export', "<'%s'>" % gui)
    app.wait(lambda s: s.get('export_status') == 'done', 'the export done', timeout=30)
    check(app.state().get('export_rows') == len(everything), 'every order exported', app.state().get('export_rows'))
    with open(gui, encoding='utf-8', newline='') as f:
        check(f.read() == text, 'the window\'s export equals the command line\'s')
    app.quit()


# ----------------------------------------------------------------- History

HISTORY_GEN = os.environ.get('USDTPAY_HISTORY_GEN', '')
HISTORY_COLUMNS = ('id', 'created_at', 'amount', 'fee', 'fiat_amount', 'fiat_currency', 'state', 'method',
                   'merchant', 'customer_ref', 'closed_at')
HISTORY_SORTS = {'time': 'created_at', 'id': 'id', 'state': 'state', 'fiat': 'fiat_amount',
                 'usdt': 'amount', 'fee': 'fee', 'method': 'method', 'customer': 'customer_ref',
                 'merchant': 'merchant'}


def history_gen(cache, platform_url, account, n, seed=5, merchants=50):
    check(HISTORY_GEN != '', 'history-gen is built')
    r = subprocess.run([HISTORY_GEN, cache, platform_url, account, str(n), str(seed), str(merchants)],
                       capture_output=True, text=True, timeout=3000)
    check(r.returncode == 0, 'history-gen made the cache', r.stderr)
    log(r.stderr.strip())


def history_rows(cache, platform_url, account):
    """The cached orders as dicts, read with Python's sqlite3 (plain columns)."""
    import sqlite3
    db = sqlite3.connect('file:%s?mode=ro' % cache, uri=True)
    try:
        return [dict(zip(HISTORY_COLUMNS, r)) for r in
                db.execute('SELECT %s FROM orders WHERE platform = ? AND account = ?' % ', '.join(HISTORY_COLUMNS),
                           (platform_url, account))]
    finally:
        db.close()


def parse_amount(text, decimals):
    m = re.fullmatch(r'(0|[1-9][0-9]*)(?:\.([0-9]{1,%d}))?' % decimals, text) if decimals > 0 else \
        re.fullmatch(r'(0|[1-9][0-9]*)()', text)
    if m is None:
        return None
    return int(m.group(1)) * 10 ** decimals + int((m.group(2) or '').ljust(decimals, '0') or '0')


def history_expected(rows, search=None, state=None, method=None, merchant=None, since=None,
                     until=None, sort='time', desc=True):
    """What History must show, computed here from the rows: the filter's
    rules (docs of UsdtpayCacheFilter) and the sort, without SQL."""
    out = []
    s = (search or '').strip()
    usdt = parse_amount(s, 6) if s else None
    fiat = parse_amount(s, 2) if s else None
    low = s.encode().lower()   # ASCII case only, as SQLite's LIKE
    for r in rows:
        if s and not (r['id'].encode().lower().startswith(low)
                      or (r['customer_ref'] is not None and low in r['customer_ref'].encode().lower())
                      or (usdt is not None and r['amount'] == usdt)
                      or (fiat is not None and r['fiat_currency'] == 'CNY' and r['fiat_amount'] == fiat)):
            continue
        if state is not None and r['state'] != state:
            continue
        if method is not None and r['method'] != method:
            continue
        if merchant is not None and r['merchant'] != merchant:
            continue
        if since is not None and (r['closed_at'] == 0 or r['closed_at'] < since):
            continue
        if until is not None and (r['closed_at'] == 0 or r['closed_at'] >= until):
            continue
        out.append(r)
    col = HISTORY_SORTS[sort]
    # NULLs sort first ascending, as in SQLite; ties by id the same way.
    out.sort(key=lambda r: ((0,) if r[col] is None else (1, r[col]), r['id']), reverse=desc)
    return [r['id'] for r in out]


def gvariant_string(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def wait_state(app, pred, what, timeout=20):
    """app.wait, returning the state that satisfied @pred."""
    box = []

    def held(s):
        if pred(s):
            box.append(s)
            return True
        return False
    app.wait(held, what, timeout=timeout)
    return box[-1]


def history_set(app, control, value):
    app.action('test-history', '<(%s, %s)>' % (gvariant_string(control), gvariant_string(value)), window=True)


def history_shows(app, expected, what, timeout=30, **extra):
    """Waits for the first page (and the count) of @expected."""
    def ok(s):
        return (not s.get('history_loading') and s.get('history_counted')
                and s.get('history_count') == len(expected)
                and s.get('history', [])[:200] == expected[:200]
                and all(s.get(k) == v for k, v in extra.items()))
    try:
        return wait_state(app, ok, what, timeout=timeout)
    except Failed:
        s = app.state()
        log('expected %d rows, first %s; shown %s of %s' % (len(expected), expected[:3],
                                                          s.get('history', [])[:3], s.get('history_count')))
        raise


HISTORY_TZ = 'Asia/Shanghai'


def history_row_texts(row):
    """What History's table shows of a row, cell by cell (HISTORY_TZ)."""
    import datetime
    import zoneinfo
    when = datetime.datetime.fromtimestamp(row['created_at'] // 1000000, zoneinfo.ZoneInfo(HISTORY_TZ))
    states = {'completed': 'Completed', 'cancelled': 'Cancelled', 'expired': 'Expired', 'disputed': 'Disputed'}
    methods = {'bank': 'Bank transfer', 'alipay': 'Alipay', 'wechat': 'WeChat Pay'}
    return [when.strftime('%Y-%m-%d %H:%M:%S'), row['id'][-4:].upper(), states[row['state']],
            '%s %d.%02d' % (row['fiat_currency'], row['fiat_amount'] // 100, row['fiat_amount'] % 100),
            '%d.%06d USDT' % (row['amount'] // 1000000, row['amount'] % 1000000),
            '%d.%06d USDT' % (row['fee'] // 1000000, row['fee'] % 1000000),
            methods[row['method']], row['customer_ref'] or '']


def history_paced_rows(app, rows, expected, one):
    """The table's row widgets (UsdtpayPacedModel): from every row to one,
    the others are kept hidden for a while, then dropped a step a frame;
    from one to every row, those on screen come at once, then the rest a
    step a frame; the cells show their row's order, and say it to
    assistive technologies."""
    history_shows(app, expected, 'every row again')
    s = wait_state(app, lambda s: not s.get('history_pacing') and s.get('history_rows_visible', 0) >= 200,
                   'a table full of row widgets')
    check(s['history_first_row'] == history_row_texts(expected_row(rows, expected[0])),
          'the first row\'s cells', s['history_first_row'])
    check(s['history_first_row_accessible'] is True, 'the cells read as labels of their texts')
    widgets = s['history_row_widgets']

    only = history_expected(rows, search=one)
    history_set(app, 'search', one)
    s = history_shows(app, only, 'one customer\'s orders', history_search=one)
    check(s['history_rows_visible'] == len(only) and s['history_rows_mapped'] == len(only),
          'only their rows shown', s['history_rows_visible'], s['history_rows_mapped'], len(only))
    check(s['history_hidden_rows'] > 0 and s['history_table_rows'] == len(only) + s['history_hidden_rows']
          and s['history_row_widgets'] == s['history_table_rows'] >= 200, 'the other rows kept, hidden',
          s['history_table_rows'], s['history_hidden_rows'], s['history_row_widgets'])
    check(s['history_first_row'] == history_row_texts(expected_row(rows, only[0])),
          'the first row shows the first result', s['history_first_row'])
    check(s['history_first_row_accessible'] is True, 'and says it')
    s = wait_state(app, lambda s: s.get('history_hidden_rows') == 0, 'the hidden rows dropped', timeout=10)
    check(s['history_table_rows'] == len(only) and s['history_row_widgets'] == len(only),
          'the table holds their rows only', s['history_table_rows'], s['history_row_widgets'])

    history_set(app, 'search', '')
    s = history_shows(app, expected, 'every row from one')
    check(s['history_table_rows'] < 200 or s['history_paced_max_step'] <= 16,
          'the rows past the screen come later', s['history_table_rows'])
    check(s['history_rows_mapped'] > 10, 'a screenful of rows at once', s['history_rows_mapped'])
    s = wait_state(app, lambda s: not s.get('history_pacing') and s.get('history_rows_visible', 0) >= 200,
                   'the table full of row widgets again')
    check(s['history_table_rows'] == len(expected) and s['history_row_widgets'] == widgets,
          'every row in the table', s['history_table_rows'], s['history_row_widgets'])
    check(0 < s['history_paced_max_step'] <= 16, 'a step of rows a frame', s['history_paced_max_step'])
    check(s['history_first_row'] == history_row_texts(expected_row(rows, expected[0])),
          'the first row\'s cells again', s['history_first_row'])


def expected_row(rows, order_id):
    return next(r for r in rows if r['id'] == order_id)


def history_day_edges(cache, platform_url, account):
    """Moves four completed orders to a second either side of 00:00
    (HISTORY_TZ) 6 and 29 days ago: where 'the last 7 (30) days' start as
    local days, and inside 7 (30) times 24 hours back from now."""
    import datetime
    import sqlite3
    import zoneinfo
    tz = zoneinfo.ZoneInfo(HISTORY_TZ)
    today = datetime.datetime.now(tz).date()
    edges = []
    for days in (7, 30):
        first = today - datetime.timedelta(days=days - 1)
        midnight = int(datetime.datetime(first.year, first.month, first.day, tzinfo=tz).timestamp()) * 1000000
        edges += [midnight - 1000000, midnight + 1000000]
    def rfc3339(us):
        return datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%S') + '.%06dZ' % (us % 1000000)
    db = sqlite3.connect(cache)
    try:
        found = db.execute("SELECT id, json FROM orders WHERE platform = ? AND account = ? AND state = 'completed'"
                           ' ORDER BY id LIMIT ?', (platform_url, account, len(edges))).fetchall()
        for (order_id, text), closed in zip(found, edges):
            times = {'created_at': closed - 600000000, 'matched_at': closed - 580000000,
                     'paid_at': closed - 300000000, 'completed_at': closed, 'closed_at': closed}
            order = json.loads(text)
            order.update({k: rfc3339(v) for k, v in times.items()})
            db.execute('UPDATE orders SET created_at = ?, matched_at = ?, paid_at = ?, completed_at = ?, closed_at = ?,'
                       ' json = ? WHERE platform = ? AND account = ? AND id = ?',
                       (times['created_at'], times['matched_at'], times['paid_at'], times['completed_at'],
                        times['closed_at'], json.dumps(order, separators=(',', ':')), platform_url, account,
                        order_id))
        db.commit()
    finally:
        db.close()


def history_last_days(app, rows):
    """'Last 7 days' and 'Last 30 days' on the date chip: local calendar days,
    today the last, from 00:00 local on the first (HISTORY_TZ), not as many
    times 24 hours back from now."""
    import datetime
    import zoneinfo
    tz = zoneinfo.ZoneInfo(HISTORY_TZ)
    for period, days in (('week', 7), ('month', 30)):
        def local_since():
            today = datetime.datetime.now(tz).date()
            first = today - datetime.timedelta(days=days - 1)
            return int(datetime.datetime(first.year, first.month, first.day, tzinfo=tz).timestamp()) * 1000000
        before = local_since()
        chosen = history_expected(rows, since=before)
        hours_back = history_expected(rows, since=int(time.time() * 1e6) - days * 86400 * 1000000)
        check(chosen != hours_back, 'the test tells local days from %d times 24 hours' % days,
              len(chosen), len(hours_back))
        history_set(app, 'period', period)
        try:
            history_shows(app, chosen, 'the last %d local days' % days)
        except Failed:
            # Midnight passed there meanwhile: the days moved on by one.
            if local_since() == before:
                raise
            history_shows(app, history_expected(rows, since=local_since()), 'the last %d local days' % days)


def history_custom_range(app, session, rows, expected):
    """'Custom range…' on the date chip: the rows closed on the chosen local
    days, the chip naming them, their export, To before From refused, and
    'All Dates' clearing it."""
    import datetime
    import zoneinfo
    tz = zoneinfo.ZoneInfo(HISTORY_TZ)
    closed = sorted(r['closed_at'] for r in rows if r['closed_at'] != 0)
    # The range starts on the local day of an order closed before 08:00
    # there: by UTC days (8 h behind) it would be the day before's.
    early = [datetime.datetime.fromtimestamp(t / 1e6, tz) for t in closed[len(closed) // 2:]]
    middle = next(t for t in early if t.hour < 8).date()
    first, last = middle, middle + datetime.timedelta(days=29)

    def micros(day):
        return int(datetime.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()) * 1000000
    since, until = micros(first), micros(last + datetime.timedelta(days=1))
    chosen = history_expected(rows, since=since, until=until)
    check(0 < len(chosen) < len(closed), 'the range holds some closed orders, not all', len(chosen))
    # The edges are local midnights: orders just outside them (by UTC days
    # they would be inside) must not be shown.
    utc_since = micros(first) + 8 * 3600 * 1000000
    check(history_expected(rows, since=utc_since, until=until + 8 * 3600 * 1000000) != chosen,
          'the test tells local days from UTC days')
    label = '%d %s – %d %s %d' % (first.day, first.strftime('%b'), last.day, last.strftime('%b'), last.year) \
        if first.year == last.year else '%d %s %d – %d %s %d' % (first.day, first.strftime('%b'), first.year,
                                                               last.day, last.strftime('%b'), last.year)
    history_set(app, 'range', '%s:%s' % (first.isoformat(), last.isoformat()))
    app.wait(lambda s: s.get('history_range_dialog') and s.get('history_range_problem') == '',
             'the range dialog, its days accepted')
    app.screenshot('history-range-dialog')
    history_set(app, 'range-response', 'apply')
    s = history_shows(app, chosen, 'the orders closed %s to %s, local days' % (first, last),
                      history_period=label, history_range_dialog=False)
    check(s['history'] == chosen[:len(s['history'])], 'every loaded row in the range, in order')
    app.screenshot('history-range')

    # The export follows the range.
    out = os.path.join(session.dir, 'range.csv')
    app.action('test-export', "<'%s'>" % out)
    wait_state(app, lambda s: s.get('export_status') == 'done' and os.path.exists(out),
               'the export of the range', timeout=60)
    exported = read_export(out)
    check(sorted(r['id'] for r in exported) == sorted(chosen), 'the export has exactly the range\'s orders',
          len(exported), len(chosen))

    # To before From: refused with a message; Apply does nothing; the
    # range in force stays.
    history_set(app, 'range', '%s:%s' % (last.isoformat(), first.isoformat()))
    s = wait_state(app, lambda s: s.get('history_range_dialog') and s.get('history_range_problem'),
                   'To before From refused')
    check('before' in s['history_range_problem'], 'the refusal says why', s['history_range_problem'])
    app.screenshot('history-range-refused')
    history_set(app, 'range-response', 'apply')
    time.sleep(0.5)
    s = app.state()
    check(s.get('history_range_dialog') and s.get('history_count') == len(chosen),
          'Apply refused: the dialog stays, the range in force too',
          s.get('history_range_dialog'), s.get('history_count'), len(chosen))
    history_set(app, 'range-response', 'cancel')
    history_shows(app, chosen, 'cancelled: the range kept', history_period=label, history_range_dialog=False)

    # One day (From = To), then 'All Dates' back to every order.
    one = history_expected(rows, since=micros(middle), until=micros(middle + datetime.timedelta(days=1)))
    history_set(app, 'range', '%s:%s' % (middle.isoformat(), middle.isoformat()))
    history_set(app, 'range-response', 'apply')
    history_shows(app, one, 'the orders closed on %s' % middle)
    history_set(app, 'range', '%s:%s' % (middle.isoformat(), middle.isoformat()))
    history_set(app, 'range-response', 'clear')
    history_shows(app, expected, 'all dates again', history_period='All time', history_range_dialog=False)


def test_history(session):
    """History pages over the cache (never all rows), sorts and searches in
    SQL, filters by state, date, method and (support) merchant, keeps the
    selection when the cache changes, and exports its filter: offline from
    the cache, and online."""
    platform = Platform(session).start()
    port = platform.port
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    app = logged_in_app(session, platform, 'alice', pw)
    alice = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    app.quit()

    # Offline: the platform stopped, 1,000 orders in the cache.
    platform.stop()
    cache = os.path.join(session.dir, 'data', 'usdtpay', 'cache.db')
    history_gen(cache, platform.url, 'alice', 1000)
    history_day_edges(cache, platform.url, 'alice')
    rows = history_rows(cache, platform.url, 'alice')
    check(len(rows) == 1000, 'the generated rows', len(rows))
    # Days are the local time zone's: one far from UTC, to tell them apart.
    os.environ['TZ'] = HISTORY_TZ
    # GTK's test accessibility contexts: what assistive technologies would
    # read of the table's cells (history_paced_rows()).
    os.environ['GTK_A11Y'] = 'test'
    try:
        app = App(session)
    finally:
        del os.environ['TZ']
        os.environ['GTK_A11Y'] = 'none'
    app.wait(lambda s: s.get('page') == 'desk', 'the desk, offline', timeout=60)
    app.action('show-page', "<'history'>", window=True)

    # Paging: the first page and the count, not the rows.
    expected = history_expected(rows)
    history_shows(app, expected, 'the newest 200 of 1,000 orders, counted')
    time.sleep(0.5)
    s = app.state()
    # The pages the view asked for (the rows it has widgets for), not all.
    check(s['history_pages_held'] <= 2 and len(s['history_loaded']) <= 400,
          'only the first pages read', s['history_pages_held'], len(s['history_loaded']))
    app.screenshot('history-paged')
    history_set(app, 'scroll', '900')

    def page_of_900(s):
        loaded = s.get('history_loaded', {})
        first, last = (s.get('history_visible_rows') or [0, 0])
        return first >= 800 and all(loaded.get(str(i)) == expected[i] for i in range(first, last))
    s = wait_state(app, page_of_900, 'the rows around 900, read when scrolled to')
    check(len(s['history_loaded']) < 1000, 'not every page read', s['history_pages_held'])
    check(all(v == expected[int(k)] for k, v in s['history_loaded'].items()), 'each loaded row in its place')
    history_set(app, 'scroll', '0')

    # Sorting: each header, both ways, in SQL.
    for sort, desc in (('usdt', False), ('usdt', True), ('customer', False), ('state', True),
                       ('fiat', False), ('id', True), ('method', False), ('fee', True), ('time', False)):
        history_set(app, 'sort', '%s:%s' % (sort, 'desc' if desc else 'asc'))
        history_shows(app, history_expected(rows, sort=sort, desc=desc), 'sorted by %s %s' % (sort, desc),
                      history_sort=sort, history_descending=desc)
    history_set(app, 'sort', 'time:desc')
    history_shows(app, expected, 'newest first again', history_sort='time', history_descending=True)

    # Searching: a customer reference, a part of one, an id prefix (any
    # case), an amount in USDT and in CNY, one and two letters, nothing.
    some = [r for r in rows if r['customer_ref'] is not None][17]
    other = rows[123]
    searches = [some['customer_ref'], some['customer_ref'][:8], other['id'][:7].upper(), other['id'][:2],
                '%d.%02d' % (other['amount'] // 1000000, other['amount'] // 10000 % 100),
                '%d.%02d' % (other['fiat_amount'] // 100, other['fiat_amount'] % 100),
                'c', 'zz', 'no-such-order', "it's", '50%']
    for text in searches:
        history_set(app, 'search', text)
        history_shows(app, history_expected(rows, search=text), 'the search %r' % text, history_search=text)
    app.screenshot('history-search')

    # Typing: each key starts a query and cancels the one before; what is
    # shown is the last text's rows.
    for i in range(1, len(some['customer_ref']) + 1):
        history_set(app, 'search', some['customer_ref'][:i])
    history_shows(app, history_expected(rows, search=some['customer_ref']), 'the last text typed')
    history_set(app, 'search', '')
    history_paced_rows(app, rows, expected, some['customer_ref'])

    # The chips, alone and together with a search.
    history_set(app, 'state', 'expired')
    history_shows(app, history_expected(rows, state='expired'), 'expired orders')
    history_set(app, 'method', 'wechat')
    history_shows(app, history_expected(rows, state='expired', method='wechat'), 'expired, by WeChat Pay')
    history_set(app, 'search', 'cust-1')
    history_shows(app, history_expected(rows, search='cust-1', state='expired', method='wechat'),
                  'expired, by WeChat Pay, searched')
    history_set(app, 'search', '')
    history_set(app, 'state', '')
    history_set(app, 'method', '')
    history_last_days(app, rows)
    history_set(app, 'period', 'all')
    history_shows(app, expected, 'all time again')

    # A custom range of days: From at 00:00 local, To included.
    history_custom_range(app, session, rows, expected)

    # Export of the page's filter: the expired orders only.
    history_set(app, 'state', 'expired')
    history_shows(app, history_expected(rows, state='expired'), 'expired orders again')
    out = os.path.join(session.dir, 'expired.csv')
    app.action('test-export', "<'%s'>" % out)
    # (The range's export before this one was 'done' too: wait for the file.)
    s = wait_state(app, lambda s: s.get('export_status') == 'done' and os.path.exists(out),
                   'the export of the filter', timeout=60)
    exported = read_export(out)
    check(sorted(r['id'] for r in exported) == sorted(history_expected(rows, state='expired')),
          'the export has exactly the filtered orders', s.get('export_rows'))
    history_set(app, 'state', '')
    history_shows(app, expected, 'every state again')

    # The detail of a selected row, from the cache, offline.
    history_set(app, 'select', '3')
    app.wait(lambda s: s.get('history_selected') == expected[3] and s.get('history_detail', '').startswith('CNY'),
             'the selected order\'s detail')
    app.quit()

    # Online: an order completed now arrives at the top through the cache;
    # the selection stays on its order.
    platform.start(port)
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and s.get('connection') == 'Connected', 'the desk, online')
    go_online(app)
    app.action('show-page', "<'history'>", window=True)
    history_shows(app, expected, 'History online')
    history_set(app, 'select', '5')
    app.wait(lambda s: s.get('history_selected') == expected[5], 'row 5 selected')
    o = platform.create_order(shop, 1)
    app.wait(in_section('offers', o['id']), 'the offer')
    platform.ok('POST', '/v1/orders/%s/accept' % o['id'], {}, alice)
    platform.customer_pays(o)
    platform.ok('POST', '/v1/orders/%s/confirm' % o['id'], {}, alice)
    s = wait_state(app, lambda s: s.get('history_count') == 1001 and s.get('history', [])[:1] == [o['id']],
                 'the completed order on top of History', timeout=30)
    check(s['history'][1:200] == expected[:199], 'the rest moved down by one')
    app.wait(lambda s: s.get('history_selected') == expected[5], 'the selection kept on its order')
    app.quit()

    # Support: the merchant filter and column.
    platform.add_merchant('m00', 'm00-password')
    platform.add_merchant('m01', 'm01-password')
    pw_sam = os.path.join(platform.dir, 'pw-sam')
    with open(pw_sam, 'w') as f:
        f.write('sam-password\n')
    platform.admin('add-support', 'sam', '--password-file', pw_sam)
    history_gen(cache, platform.url, 'sam', 600, seed=9, merchants=2)
    app = logged_in_app(session, platform, 'sam', pw_sam)
    app.wait(lambda s: 'm01' in s.get('merchants', {}), 'the merchants listed')
    # Support's cache also gets the platform's closed order (alice's).
    wait_until(lambda: len(history_rows(cache, platform.url, 'sam')) == 601, 20, 'alice\'s order cached for sam')
    sam_rows = history_rows(cache, platform.url, 'sam')
    app.action('show-page', "<'history'>", window=True)
    history_shows(app, history_expected(sam_rows), 'support\'s History')
    history_set(app, 'merchant', 'm01')
    history_shows(app, history_expected(sam_rows, merchant='m01'), 'merchant m01\'s orders')
    history_set(app, 'sort', 'merchant:asc')
    history_set(app, 'merchant', '')
    history_shows(app, history_expected(sam_rows, sort='merchant', desc=False), 'sorted by merchant')
    app.screenshot('history-support')
    app.quit()
    platform.stop()


def bench_history_filter(session):
    """history-filter: 1,000,000 cached orders; from a changed search text
    to its first page drawn in the real app, and the app's memory."""
    platform = Platform(session).start()
    pw = platform.add_merchant('alice', 'alice-password')
    app = logged_in_app(session, platform, 'alice', pw)
    app.quit()
    platform.stop()
    n = int(os.environ.get('USDTPAY_BENCH_HISTORY_ROWS', '1000000'))
    cache = os.path.join(session.dir, 'data', 'usdtpay', 'cache.db')
    start = time.monotonic()
    history_gen(cache, platform.url, 'alice', n)
    gen_s = time.monotonic() - start
    import sqlite3
    db = sqlite3.connect('file:%s?mode=ro' % cache, uri=True)
    ref = db.execute('SELECT customer_ref FROM orders WHERE customer_ref IS NOT NULL LIMIT 1 OFFSET 4321').fetchone()[0]
    oid, amount = db.execute('SELECT id, amount FROM orders LIMIT 1 OFFSET 98765').fetchone()
    db.close()
    searches = [ref, ref[:9], oid[:6], '%d.%02d' % (amount // 1000000, amount // 10000 % 100),
                'zzzz', 'no-such-customer', 't', 'cust', ref[5:]]

    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk', 'the desk, offline', timeout=60)
    app.action('show-page', "<'history'>", window=True)
    app.wait(lambda s: s.get('history_shown_us', 0) > 0 and s.get('history_count', 0) >= 200, 'the first page',
             timeout=120)
    times = {}
    in_model = {}
    answered = {}
    cpu = {}
    frames = []
    # The frames other than the searches' own, from here on.
    history_set(app, 'frames', 'reset')
    for rnd in range(3):
        for text in searches + ['']:
            before = app.state().get('history_first_pages', 0)
            history_set(app, 'search', text)
            s = wait_state(app, lambda s: s.get('history_first_pages', 0) > before and s.get('history_search') == text
                         and s.get('history_shown_us', 0) > 0, 'the search %r shown' % text, timeout=120)
            if text:
                times.setdefault(text, []).append(s['history_shown_us'] / 1000)
                in_model.setdefault(text, []).append(s['history_query_us'] / 1000)
                answered.setdefault(text, []).append(s['history_answered_us'] / 1000)
                cpu.setdefault(text, []).append(s['history_shown_cpu_us'] / 1000)
                frames.append((s['history_first_frame_us'] / 1000, s['history_first_frame_cpu_us'] / 1000))
    s = app.state()
    with open('/proc/%d/status' % app.proc.pid) as f:
        status = {line.split(':')[0]: line.split()[1] for line in f if line.startswith(('VmRSS', 'VmHWM'))}
    app.quit()

    every = sorted(t for v in times.values() for t in v)

    def pct(p):
        return every[min(len(every) - 1, int(round(p / 100 * (len(every) - 1))))]
    # Shown: to the frame painted with the first page; in the table: to the
    # model's items-changed handled (the query, and the view's rows made or
    # dropped); answered: to the worker's first page back (SQL and parsing).
    def ms(v):
        return ' '.join('%.1f' % x for x in v)
    # CPU: the main thread's, from the changed text to the frame painted.
    for text, v in times.items():
        print('history-filter: %-20r shown %s ms; in the table %s ms; answered %s ms; main thread CPU %s ms'
              % (text, ms(v), ms(in_model[text]), ms(answered[text]), ms(cpu[text])))
    print('rows=%d' % n)
    print('generate_s=%.1f' % gen_s)
    print('searches=%d' % len(every))
    print('first_page_p50_ms=%.1f' % pct(50))
    print('first_page_p99_ms=%.1f' % pct(99))
    print('first_page_max_ms=%.1f' % every[-1])
    sql = sorted(t for v in answered.values() for t in v)
    print('answered_p50_ms=%.1f' % sql[len(sql) // 2])
    print('answered_max_ms=%.1f' % sql[-1])
    every_cpu = sorted(t for v in cpu.values() for t in v)
    print('first_page_cpu_p50_ms=%.1f' % every_cpu[len(every_cpu) // 2])
    print('first_page_cpu_max_ms=%.1f' % every_cpu[-1])
    # The frame drawing the first page itself (layout, drawing), of the above.
    print('first_page_frame_max_ms=%.1f' % max(f[0] for f in frames))
    print('first_page_frame_cpu_max_ms=%.1f' % max(f[1] for f in frames))
    # Every other frame meanwhile (the rows a table shows or drops a step
    # at a time after a search, anything else): the longest, which a
    # keystroke could have waited for.
    print('other_frames=%d' % s['history_frames'])
    print('other_frame_max_ms=%.1f' % (s['history_frame_max_us'] / 1000))
    print('other_frame_cpu_max_ms=%.1f' % (s['history_frame_cpu_max_us'] / 1000))
    print('rss_mb=%.1f' % (int(status['VmRSS']) / 1024))
    print('rss_peak_mb=%.1f' % (int(status['VmHWM']) / 1024))
    print('target: first_page_p99_ms < 50 (every search), rss_mb < 150')


# ----------------------------------------------------------------- the wallet

CONFIRMATIONS = 3
MICRO = 1000000


def wallet(s):
    return s.get('wallet') or {}


def wait_state(app, pred, what, timeout=20):
    """Waits for @pred and returns the state that satisfied it."""
    return app.wait(lambda s: s if pred(s) else None, what, timeout)


def keyring_wallet_key(url, account):
    """The wallet key the app stored, straight from the Secret Service."""
    import gi
    gi.require_version('Secret', '1')
    from gi.repository import Secret
    schema = Secret.Schema.new('com.example.UsdtPay.WalletKey', Secret.SchemaFlags.NONE,
                               {'platform': Secret.SchemaAttributeType.STRING,
                                'account': Secret.SchemaAttributeType.STRING})
    return Secret.password_lookup_sync(schema, {'platform': url, 'account': account}, None)


def page_action(app, name):
    app.action('test-page-action', "<('wallet', '%s')>" % name)


def answer_dialog(app, heading, response, text=None):
    app.wait(lambda s: s.get('dialog_heading') == heading, 'the dialog “%s”' % heading)
    if text is not None:
        app.action('test-dialog-text', "<'%s'>" % text)
    app.action('test-respond', "<'%s'>" % response)


def chain_platform(session):
    """Anvil with the project's test token, and the platform escrowing it."""
    from chainlib import Anvil
    platform = Platform(session)
    anvil = Anvil()
    session.cleanups.append(anvil.cleanup)
    token = anvil.deploy_token()
    key_path = os.path.join(platform.dir, 'hot-wallet.key')
    escrow = platform.admin('init-wallet', key_path).strip()
    anvil.set_eth(escrow)
    platform.serve_args = ['--rpc', anvil.url, '--token', token, '--confirmations', str(CONFIRMATIONS),
                           '--wallet-key', key_path]
    platform.start()
    return platform, anvil, escrow


def test_wallet(session):
    # tests/platform's Anvil, token and signing helpers.
    os.environ['USDTPAY_NPM_DIR'] = NPM_DIR
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))
    from chainlib import DEV_KEYS, address_of
    platform, anvil, escrow = chain_platform(session)
    pw = platform.add_merchant('alice', 'alice-password')
    shop = platform.add_shop('shop')
    key = DEV_KEYS[1]
    address = anvil.accounts[1]
    anvil.transfer(anvil.accounts[0], address, 500 * MICRO)
    eth = int(anvil.rpc('eth_getBalance', address, 'latest'), 16)

    app = logged_in_app(session, platform, 'alice', pw)
    alice = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    app.action('show-page', "<'wallet'>", window=True)
    app.wait(lambda s: wallet(s).get('state') == 'no-key' and wallet(s).get('available') == '10000.000000 USDT',
             'the Wallet page without a key, with the escrow balances')
    check(keyring_wallet_key(platform.url, 'alice') is None, 'no wallet key in the keyring yet')

    # Import a funded key: its EIP-55 address, QR and balances.
    page_action(app, 'wallet.import-key')
    answer_dialog(app, 'Import a Private Key', 'import', text=key)
    st = wait_state(app, lambda s: wallet(s).get('usdt') == '500.000000 USDT', 'the imported key\'s balances')
    w = wallet(st)
    check(w['address'] == address and w['shown_address'] == address, 'the EIP-55 address is shown', w, address)
    check(w['address'] != w['address'].lower() and address_of(key) == w['address'], 'mixed-case checksum', w)
    check(w['eth'] == '%d.%018d ETH' % (eth // 10 ** 18, eth % 10 ** 18) or
          w['eth'].startswith('%d.' % (eth // 10 ** 18)), 'the ETH balance', w['eth'], eth)
    check(w['available'] == '10000.000000 USDT' and w['frozen'] == '0.000000 USDT', 'escrow balances', w)
    check(w['qr_modules'] >= 25 and w['problem'] is None and w['registered'] is False, 'QR drawn, no problem', w)
    stored = keyring_wallet_key(platform.url, 'alice')
    check(stored == key, 'the key is in the keyring', stored)
    check(not any(key[2:] in open(os.path.join(dp, f), errors='ignore').read()
                  for dp, _, fs in os.walk(os.path.join(session.dir, 'home')) for f in fs
                  if os.path.getsize(os.path.join(dp, f)) < 10 ** 7 and 'keyrings' not in dp),
          'the key is in no file but the keyring\'s')
    shot = app.screenshot('wallet-funded')
    # The QR code as a phone would read it (zbar-tools, build-aux/install-deps).
    check(shutil.which('zbarimg') is not None, 'zbarimg is installed (zbar-tools)')
    r = subprocess.run(['zbarimg', '-q', '--raw', shot], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout.strip() == address, 'the QR code reads as the EIP-55 address',
          r.returncode, r.stdout)

    # No top-up before the address is registered: it would not be credited.
    page_action(app, 'wallet.top-up')
    app.wait(lambda s: s.get('dialog_heading') == 'Top Up Escrow', 'the Top Up dialog')
    app.action('test-dialog-text', "<'10'>")
    app.wait(lambda s: (wallet(s).get('amount_error') or '').startswith('Register this wallet'),
             'a top-up from an unregistered address refused')
    app.action('test-respond', "<'cancel'>")
    app.wait(lambda s: not s.get('dialog'), 'the dialog closed')

    # Register: the platform's nonce, signed in the app.
    page_action(app, 'wallet.register')
    app.wait(lambda s: wallet(s).get('registered') is True and 'registered' in s.get('last_toast', ''),
             'the address registered')
    items = platform.ok('GET', '/v1/wallets', token=alice)['items']
    check([i['address'] for i in items] == [address], 'the platform has the address', items)

    # Top up: bad amounts refused in the dialog, with a sentence.
    page_action(app, 'wallet.top-up')
    app.wait(lambda s: s.get('dialog_heading') == 'Top Up Escrow', 'the Top Up dialog')
    app.action('test-dialog-text', "<'1.0000001'>")
    app.wait(lambda s: 'at most 6 decimals' in (wallet(s).get('amount_error') or ''), 'too many decimals refused')
    app.action('test-dialog-text', "<'600'>")
    app.wait(lambda s: (wallet(s).get('amount_error') or '') == 'More than the wallet holds: 500.000000 USDT.',
             'over the wallet balance refused')
    app.action('test-respond', "<'continue'>")
    time.sleep(0.3)
    check(app.state().get('dialog_heading') == 'Top Up Escrow', 'Continue does nothing for a refused amount')
    app.action('test-dialog-text', "<'120.5'>")
    app.wait(lambda s: wallet(s).get('amount_error') is None, 'a good amount accepted')
    app.action('test-respond', "<'continue'>")
    app.wait(lambda s: s.get('dialog_heading') == 'Send 120.500000 USDT to Escrow?', 'the confirmation')
    app.screenshot('wallet-top-up-confirm')
    app.action('test-respond', "<'send'>")
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'confirming' and wallet(s).get('top_up_confirmations') == 1,
                  'the top-up mined, 1 of %d confirmations' % CONFIRMATIONS)
    tx_hash = wallet(st)['top_up_hash']
    receipt = anvil.wait_receipt(tx_hash)
    tx = anvil.rpc('eth_getTransactionByHash', tx_hash)
    check(tx['type'] == '0x2' and int(tx['chainId'], 16) == 31337 and tx['to'].lower() == anvil.token.lower(),
          'an EIP-1559 token transfer on the right chain', tx)
    check(receipt['from'].lower() == address.lower() and receipt['status'] == '0x1', 'sent from the wallet', receipt)
    check(anvil.balance_of(escrow) == 120500000, 'the escrow address holds the USDT')
    check('1 of 3 confirmations' in wallet(st)['top_up_text'], 'the progress says so', wallet(st))
    time.sleep(1)
    check(platform.ok('GET', '/v1/ledger/balances', token=alice)['available'] == '10000.000000',
          'not credited before %d confirmations' % CONFIRMATIONS)
    anvil.mine(CONFIRMATIONS)
    app.wait(lambda s: wallet(s).get('top_up') == 'credited' and wallet(s).get('available') == '10120.500000 USDT'
             and wallet(s).get('usdt') == '379.500000 USDT', 'the top-up credited to escrow', timeout=30)

    # Withdraw: over the available escrow refused; then paid and settled.
    page_action(app, 'wallet.withdraw')
    app.wait(lambda s: s.get('dialog_heading') == 'Withdraw from Escrow', 'the Withdraw dialog')
    app.action('test-dialog-text', "<'20000'>")
    app.wait(lambda s: (wallet(s).get('amount_error') or '') ==
             'More than your available escrow: 10120.500000 USDT.', 'over the escrow refused')
    app.action('test-dialog-text', "<'20'>")
    app.wait(lambda s: wallet(s).get('amount_error') is None, 'a good amount accepted')
    app.action('test-respond', "<'continue'>")
    answer_dialog(app, 'Withdraw 20.000000 USDT?', 'send')
    app.wait(lambda s: wallet(s).get('withdrawal') in ('requested', 'sent') and
             wallet(s).get('available') == '10100.500000 USDT', 'the withdrawal taken from escrow')
    deadline = time.monotonic() + 30
    while wallet(app.state()).get('withdrawal') != 'settled' and time.monotonic() < deadline:
        anvil.mine(1)
        time.sleep(0.3)
    app.wait(lambda s: wallet(s).get('withdrawal') == 'settled' and wallet(s).get('usdt') == '399.500000 USDT',
             'the withdrawal settled and the wallet paid')
    check(anvil.balance_of(address) == 399500000, 'the wallet holds what the page says')

    # A withdrawal the chain refuses (the escrow address holds 100.5 USDT on
    # chain; the rest of the ledger's escrow was credited by admin): the
    # page says so and the amount is back in escrow.
    page_action(app, 'wallet.withdraw')
    answer_dialog(app, 'Withdraw from Escrow', 'continue', text='200')
    answer_dialog(app, 'Withdraw 200.000000 USDT?', 'send')
    app.wait(lambda s: wallet(s).get('withdrawal') in ('requested', 'sent', 'failed'), 'the withdrawal asked')
    deadline = time.monotonic() + 30
    while wallet(app.state()).get('withdrawal') != 'failed' and time.monotonic() < deadline:
        anvil.mine(1)
        time.sleep(0.3)
    app.wait(lambda s: wallet(s).get('withdrawal') == 'failed' and 'back in your escrow' in
             (wallet(s).get('withdrawal_text') or '') and wallet(s).get('available') == '10100.500000 USDT',
             'the failed withdrawal returned to escrow')

    # Export: only after a confirmation.
    page_action(app, 'wallet.export-key')
    answer_dialog(app, 'Show the Private Key?', 'show')
    st = wait_state(app, lambda s: s.get('dialog_heading') == 'Private Key', 'the key shown')
    check(wallet(st).get('exported_key') == key, 'the exported key is the imported one')
    app.action('test-respond', "<'copy'>")
    app.wait(lambda s: wallet(s).get('exported_key') is None and not s.get('dialog') and
             s.get('last_toast', '').startswith('Private key copied'), 'the key copied and put away')

    # The node down: the page says so, the rest of the app keeps working.
    anvil.stop()
    page_action(app, 'wallet.refresh')
    st = wait_state(app, lambda s: 'did not answer' in (wallet(s).get('problem') or ''), 'the node reported down',
                  timeout=30)
    check(wallet(st)['usdt'] == '—' and wallet(st)['available'] == '10100.500000 USDT', 'escrow still shown', st)
    app.screenshot('wallet-node-down')
    go_online(app)
    order = platform.create_order(shop, 1)
    app.wait(in_section('offers', order['id']), 'an offer arrives while the node is down')
    anvil.start()
    page_action(app, 'wallet.refresh')
    app.wait(lambda s: wallet(s).get('problem') is None and wallet(s).get('usdt') == '399.500000 USDT',
             'the node back')

    # A node that takes the request and never answers: the page gives up
    # after its timeout and says so; the window answers all along.
    anvil.pause()
    started = time.monotonic()
    page_action(app, 'wallet.refresh')
    time.sleep(1)
    app.action('show-page', "<'orders'>", window=True)
    app.wait(lambda s: s.get('visible_page') == 'orders', 'the window answering while the node hangs', timeout=3)
    app.action('show-page', "<'wallet'>", window=True)
    app.wait(lambda s: 'did not answer' in (wallet(s).get('problem') or ''), 'a hung node reported', timeout=30)
    took = time.monotonic() - started
    check(8 < took < 25, 'reported after the node timeout (10 s), not before nor much later', took)
    anvil.resume()
    page_action(app, 'wallet.refresh')
    app.wait(lambda s: wallet(s).get('problem') is None and wallet(s).get('usdt') == '399.500000 USDT',
             'the node back again')

    # A new key replaces the old one, in the keyring, and survives a restart.
    page_action(app, 'wallet.create-key')
    answer_dialog(app, 'Replace the Wallet Key?', 'replace')
    st = wait_state(app, lambda s: wallet(s).get('address') not in (None, address) and wallet(s).get('usdt') ==
                  '0.000000 USDT', 'a new key')
    new_address = wallet(st)['address']
    stored = keyring_wallet_key(platform.url, 'alice')
    check(stored is not None and address_of(stored) == new_address, 'the new key is in the keyring')
    check(wallet(st)['registered'] is False, 'the new address is not registered')

    # USDT but no ETH for gas: the top-up is refused before anything is sent.
    anvil.transfer(anvil.accounts[0], new_address, 5 * MICRO)
    page_action(app, 'wallet.register')
    app.wait(lambda s: wallet(s).get('registered') is True and wallet(s).get('usdt') == '5.000000 USDT',
             'the new address registered, holding 5 USDT')
    nonce = anvil.rpc('eth_getTransactionCount', new_address, 'pending')
    page_action(app, 'wallet.top-up')
    answer_dialog(app, 'Top Up Escrow', 'continue', text='1')
    answer_dialog(app, 'Send 1.000000 USDT to Escrow?', 'send')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'failed', 'the top-up refused')
    check('Not enough ETH for gas' in wallet(st)['top_up_text'] and 'Not enough ETH' in st['last_toast'],
          'the page says why', wallet(st), st['last_toast'])
    check(anvil.rpc('eth_getTransactionCount', new_address, 'pending') == nonce, 'nothing was sent')
    app.quit()
    # Restarted 360 px wide: the page still shows a QR a phone can read.
    session.gsettings('window-width', '360')
    app = App(session)
    app.wait(lambda s: s.get('page') == 'desk' and wallet(s).get('address') == new_address,
             'the new key after a restart')
    app.action('show-page', "<'wallet'>", window=True)
    app.wait(lambda s: s.get('visible_page') == 'wallet' and (s.get('width') or 999) <= 360, 'the narrow Wallet page')
    time.sleep(0.5)
    shot = app.screenshot('wallet-narrow')
    r = subprocess.run(['zbarimg', '-q', '--raw', shot], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and r.stdout.strip() == new_address, 'the narrow page\'s QR reads as the address',
          r.returncode, r.stdout)
    app.quit()
    session.gsettings('window-width', '960')

    # One key per platform and account: bob on the same desktop has none,
    # and alice's stays where it was.
    pw_bob = platform.add_merchant('bob', 'bob-password')
    app = logged_in_app(session, platform, 'bob', pw_bob)
    app.action('show-page', "<'wallet'>", window=True)
    app.wait(lambda s: wallet(s).get('state') == 'no-key' and wallet(s).get('address') is None,
             'no wallet key for bob')
    check(keyring_wallet_key(platform.url, 'bob') is None, 'nothing stored for bob')
    check(keyring_wallet_key(platform.url, 'alice') == stored, 'alice\'s key untouched')
    app.quit()
    platform.stop()


def stored_top_ups(session):
    """The top-ups the app keeps in its cache, read with Python's sqlite3."""
    import sqlite3
    db = sqlite3.connect('file:%s?mode=ro' % os.path.join(session.dir, 'data', 'usdtpay', 'cache.db'), uri=True)
    try:
        return {row[0]: row[1:] for row in
                db.execute('SELECT tx_hash, platform, account, amount FROM wallet_top_ups')}
    finally:
        db.close()


def kill_app(app):
    """SIGKILL: nothing of the app's own shutdown runs."""
    app.proc.kill()
    app.proc.wait()
    app.log.close()


def top_up_of(s, tx_hash):
    found = [t for t in wallet(s).get('top_ups', []) if t.get('hash') == tx_hash]
    return found[0] if len(found) == 1 else None


def test_wallet_resume(session):
    os.environ['USDTPAY_NPM_DIR'] = NPM_DIR
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))
    from chainlib import DEV_KEYS
    platform, anvil, escrow = chain_platform(session)
    pw = platform.add_merchant('alice', 'alice-password')
    address = anvil.accounts[1]
    anvil.transfer(anvil.accounts[0], address, 500 * MICRO)

    def available(token):
        return platform.ok('GET', '/v1/ledger/balances', token=token)['available']

    def restart():
        app = App(session)
        app.wait(lambda s: s.get('page') == 'desk', 'the desk after a restart')
        app.action('show-page', "<'wallet'>", window=True)
        return app

    def top_up(app, amount):
        page_action(app, 'wallet.top-up')
        answer_dialog(app, 'Top Up Escrow', 'continue', text=amount)
        answer_dialog(app, 'Send %s USDT to Escrow?' % ('%.6f' % float(amount)), 'send')

    app = logged_in_app(session, platform, 'alice', pw)
    alice = wait_until(lambda: keyring_lookup(platform.url, 'alice'), 10, 'the token in the keyring')
    app.action('show-page', "<'wallet'>", window=True)
    page_action(app, 'wallet.import-key')
    answer_dialog(app, 'Import a Private Key', 'import', text=DEV_KEYS[1])
    app.wait(lambda s: wallet(s).get('usdt') == '500.000000 USDT', 'the imported key')
    page_action(app, 'wallet.register')
    app.wait(lambda s: wallet(s).get('registered') is True, 'the address registered')

    # 1. Killed while the top-up waits for its confirmations: after the
    # restart the page follows it to the end, and it is credited once.
    top_up(app, '100')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'confirming' and
                    wallet(s).get('top_up_confirmations') == 1, 'the top-up at 1 confirmation')
    first = wallet(st)['top_up_hash']
    check(first in stored_top_ups(session), 'the top-up is in the cache', stored_top_ups(session))
    check(stored_top_ups(session)[first] == (platform.url, 'alice', 100 * MICRO), 'keyed by platform and account',
          stored_top_ups(session))
    kill_app(app)
    anvil.mine(1)
    # Another account on the same desktop, with the same wallet key: none
    # of alice's top-ups, and hers stay stored.
    pw_bob = platform.add_merchant('bob', 'bob-password')
    app = logged_in_app(session, platform, 'bob', pw_bob)
    app.action('show-page', "<'wallet'>", window=True)
    page_action(app, 'wallet.import-key')
    answer_dialog(app, 'Import a Private Key', 'import', text=DEV_KEYS[1])
    st = wait_state(app, lambda s: wallet(s).get('usdt') == '400.000000 USDT' and
                    wallet(s).get('available') == '10000.000000 USDT', 'bob\'s page with the same key')
    time.sleep(2)
    check(wallet(app.state())['top_ups'] == [], 'bob sees none of alice\'s top-ups', wallet(app.state()))
    check(first in stored_top_ups(session), 'alice\'s top-up still stored')
    app.quit()
    app = logged_in_app(session, platform, 'alice', pw)
    app.action('show-page', "<'wallet'>", window=True)
    st = wait_state(app, lambda s: (top_up_of(s, first) or {}).get('state') == 'confirming' and
                    top_up_of(s, first)['confirmations'] == 2, 'the top-up resumed at 2 of %d' % CONFIRMATIONS)
    t = top_up_of(st, first)
    check(t['resumed'] and '2 of 3 confirmations' in t['text'], 'the page says how far it is', t)
    check(available(alice) == '10000.000000', 'not credited before %d confirmations' % CONFIRMATIONS)
    app.screenshot('wallet-resumed-top-up')
    anvil.mine(CONFIRMATIONS)
    app.wait(lambda s: (top_up_of(s, first) or {}).get('state') == 'credited' and
             wallet(s).get('available') == '10100.000000 USDT', 'the resumed top-up credited', timeout=30)
    wait_until(lambda: first not in stored_top_ups(session), 10, 'the credited top-up leaves the cache')
    time.sleep(2)
    check(available(alice) == '10100.000000', 'credited exactly once', available(alice))
    deposits = [d for d in platform.ok('GET', '/v1/deposits', token=alice)['items']
                if d['tx_hash'].lower() == first.lower()]
    check(len(deposits) == 1, 'one deposit for the transaction', deposits)
    st = app.state()
    check(len(wallet(st)['top_ups']) == 1, 'the page shows it once', wallet(st)['top_ups'])

    # 2. The node dropped it from its pool while the app was away: the
    # restarted app sends the same signed transaction again.
    anvil.rpc('evm_setAutomine', False)
    top_up(app, '50')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'mining' and wallet(s).get('top_up_hash'),
                    'the second top-up waiting for a block')
    second = wallet(st)['top_up_hash']
    kill_app(app)
    anvil.rpc('anvil_dropTransaction', second)
    check(anvil.rpc('eth_getTransactionByHash', second) is None, 'the node forgot it')
    app = restart()
    st = wait_state(app, lambda s: (top_up_of(s, second) or {}).get('resent', 0) >= 1, 'the dropped top-up sent again')
    check(top_up_of(st, second)['state'] == 'mining', 'and waiting for a block', top_up_of(st, second))
    check(anvil.rpc('eth_getTransactionByHash', second) is not None, 'the node has it again')
    anvil.rpc('evm_setAutomine', True)
    anvil.mine(CONFIRMATIONS)
    app.wait(lambda s: (top_up_of(s, second) or {}).get('state') == 'credited' and
             wallet(s).get('available') == '10150.000000 USDT', 'the resent top-up credited', timeout=30)
    check(anvil.rpc('eth_getTransactionReceipt', second)['status'] == '0x1', 'mined once, as signed')

    # 2b. Its block taken away by a reorganisation while the app was away:
    # the platform drops the deposit, the restarted app follows it until it
    # is mined again (sent again if the node lost it) and credited once.
    top_up(app, '1')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'confirming' and
                    wallet(s).get('top_up_confirmations') == 1, 'a top-up at 1 confirmation')
    reorged = wallet(st)['top_up_hash']
    kill_app(app)
    anvil.mine(1)
    wait_until(lambda: [d for d in platform.ok('GET', '/v1/deposits', token=alice)['items']
                        if d['tx_hash'].lower() == reorged.lower()], 10, 'the platform seeing the deposit')
    anvil.reorg(2)
    check(anvil.rpc('eth_getTransactionReceipt', reorged) is None, 'the reorganisation removed it')
    wait_until(lambda: [d for d in platform.ok('GET', '/v1/deposits', token=alice)['items']
                        if d['tx_hash'].lower() == reorged.lower() and d['state'] == 'dropped'], 15,
               'the platform dropping the deposit')
    check(reorged in stored_top_ups(session), 'still stored')
    check(anvil.rpc('eth_getTransactionByHash', reorged) is None, 'the node lost it with its block')
    app = restart()
    wait_state(app, lambda s: (top_up_of(s, reorged) or {}).get('resent', 0) >= 1,
               'the reorganised top-up resumed and sent again')
    deadline = time.monotonic() + 30
    while (top_up_of(app.state(), reorged) or {}).get('state') != 'credited' and time.monotonic() < deadline:
        anvil.mine(1)
        time.sleep(0.5)
    app.wait(lambda s: (top_up_of(s, reorged) or {}).get('state') == 'credited' and
             wallet(s).get('available') == '10151.000000 USDT', 'the reorganised top-up credited')
    check(available(alice) == '10151.000000', 'credited once', available(alice))
    wait_until(lambda: reorged not in stored_top_ups(session), 10, 'it leaves the cache')

    # 3. Dropped, and another transaction of the wallet took its nonce: it
    # can never be mined, so the page says so and forgets it.
    anvil.rpc('evm_setAutomine', False)
    top_up(app, '10')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'mining' and wallet(s).get('top_up_hash'),
                    'the third top-up waiting for a block')
    third = wallet(st)['top_up_hash']
    nonce = anvil.rpc('eth_getTransactionByHash', third)['nonce']
    kill_app(app)
    anvil.rpc('anvil_dropTransaction', third)
    anvil.rpc('eth_sendTransaction', {'from': address, 'to': address, 'value': '0x1', 'nonce': nonce})
    anvil.rpc('evm_setAutomine', True)
    anvil.mine(1)
    app = restart()
    st = wait_state(app, lambda s: (top_up_of(s, third) or {}).get('state') == 'failed', 'the replaced top-up failed')
    check('took its place' in top_up_of(st, third)['text'], 'the page says why', top_up_of(st, third))
    wait_until(lambda: third not in stored_top_ups(session), 10, 'the failed top-up leaves the cache')
    check(available(alice) == '10151.000000' and anvil.balance_of(escrow) == 151 * MICRO, 'nothing moved')

    # 4. Killed while a withdrawal is on its way, and the platform down when
    # the app starts again: the page says so, asks again, and follows the
    # withdrawal (and a top-up killed at 1 confirmation) to the end.
    page_action(app, 'wallet.withdraw')
    answer_dialog(app, 'Withdraw from Escrow', 'continue', text='20')
    answer_dialog(app, 'Withdraw 20.000000 USDT?', 'send')
    st = wait_state(app, lambda s: wallet(s).get('withdrawal') in ('requested', 'sent'), 'the withdrawal under way')
    withdrawal = wallet(st)['withdrawals'][-1]['id']
    check(withdrawal is not None, 'the withdrawal has its id', wallet(st))
    top_up(app, '5')
    st = wait_state(app, lambda s: wallet(s).get('top_up') == 'confirming' and
                    wallet(s).get('top_up_confirmations') == 1, 'the fourth top-up at 1 confirmation')
    fourth = wallet(st)['top_up_hash']
    kill_app(app)
    port = platform.port
    platform.stop()
    app = restart()
    st = wait_state(app, lambda s: 'Could not reach the platform' in (wallet(s).get('problem') or '') and
                    top_up_of(s, fourth) is not None, 'the page without the platform, the top-up resumed',
                    timeout=30)
    check(not [w for w in wallet(st)['withdrawals'] if w['id'] == withdrawal], 'no withdrawal before it answers')
    app.screenshot('wallet-resumed-platform-down')
    platform.start(port)
    st = wait_state(app, lambda s: [w for w in wallet(s).get('withdrawals', []) if w['id'] == withdrawal],
                    'the withdrawal resumed once the platform answers', timeout=30)
    w = [w for w in wallet(st)['withdrawals'] if w['id'] == withdrawal][0]
    check(w['resumed'] and w['state'] in ('requested', 'sent', 'settled'), 'resumed', w)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and not (
            [w for w in wallet(app.state()).get('withdrawals', []) if w['id'] == withdrawal and
             w['state'] == 'settled'] and (top_up_of(app.state(), fourth) or {}).get('state') == 'credited'):
        anvil.mine(1)
        time.sleep(0.3)
    st = wait_state(app, lambda s: [w for w in wallet(s).get('withdrawals', []) if w['id'] == withdrawal and
                                    w['state'] == 'settled'] and
                    (top_up_of(s, fourth) or {}).get('state') == 'credited' and
                    wallet(s).get('available') == '10136.000000 USDT' and wallet(s).get('problem') is None,
                    'the withdrawal settled and the top-up credited')
    check(len([w for w in wallet(st)['withdrawals'] if w['id'] == withdrawal]) == 1, 'the withdrawal shown once')
    check(available(alice) == '10136.000000', 'the ledger agrees', available(alice))
    check(anvil.balance_of(address) == (500 - 100 - 50 - 1 - 5 + 20) * MICRO, 'the wallet paid once')
    wait_until(lambda: not stored_top_ups(session), 10, 'nothing left in the cache')
    app.quit()

    # 5. Nothing in progress: a restart shows no rows; bob (another account
    # on the same desktop) sees none of alice's.
    app = restart()
    app.wait(lambda s: wallet(s).get('state') == 'ready' and wallet(s).get('available') == '10136.000000 USDT',
             'the page after a clean restart')
    time.sleep(2)
    st = app.state()
    check(wallet(st)['top_ups'] == [] and wallet(st)['withdrawals'] == [], 'nothing shown in progress', wallet(st))
    app.quit()
    platform.stop()


TESTS = {
    'keyring': (test_keyring, False),
    'login-errors': (test_login_errors, False),
    'session-restore': (test_session_restore, False),
    'sound': (test_sound, True),
    'merchant-flow': (test_merchant_flow, False),
    'repeat': (test_repeat, True),
    'narrow': (test_narrow, False),
    'settings': (test_settings, False),
    'zh-CN': (test_zh_cn, False),
    'confirm-retry': (test_confirm_retry, False),
    'background': (test_background, False),
    'receipts-keys': (test_receipts_keys, False),
    'support-desk': (test_support_desk, False),
    'csv-export': (test_csv_export, False),
    'history': (test_history, False),
    'bench-history-filter': (bench_history_filter, False),
    'wallet': (test_wallet, False),
    'wallet-resume': (test_wallet_resume, False),
    'bench-alert-latency': (bench_alert_latency, True),
    'bench-app-startup': (bench_app_startup, False),
}


def main():
    if sys.argv[1] == '--notification-server':
        notification_server(sys.argv[2])
        return 0
    name = sys.argv[1]
    fn, sound = TESTS[name]
    session = None
    try:
        session = Session(sound=sound)
        fn(session)
    except Skip as e:
        log('SKIP:', e)
        return SKIP
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        if session is not None:
            session.close()
    log('PASS', name)
    return 0


if __name__ == '__main__':
    sys.exit(main())
