# harness.py — shared by the platform's integration tests.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Each test starts its own `usdtpay-platform serve` on a temporary --dev
# database on 127.0.0.1:0, waits for the `listening on URL` line, talks to it
# over HTTP (stdlib http.client) and WebSocket (python3-websocket), and stops
# it. Nothing here is mocked: the daemon, its admin commands and `check` are
# the real programs from the build directory.

import http.client
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

import websocket

BUILDDIR = os.environ.get('USDTPAY_BUILDDIR', os.path.join(os.path.dirname(__file__), '..', '..', 'build'))
PLATFORM = os.environ.get('USDTPAY_PLATFORM', os.path.join(BUILDDIR, 'src', 'platform', 'usdtpay-platform'))
CUSTOMER = os.environ.get('USDTPAY_CUSTOMER', os.path.join(BUILDDIR, 'src', 'tools', 'usdtpay-customer'))

FEE_BPS = 30
MICRO = 1000000
PAYMENT_MINUTES = 15


# ----------------------------------------------------------------- money

def micro(text):
    """A money string ("12.340000") as integer micro-USDT, parsed strictly."""
    if not isinstance(text, str) or not re.fullmatch(r'-?(0|[1-9][0-9]*)(\.[0-9]{1,6})?', text):
        raise AssertionError('not a money string: %r' % (text,))
    negative = text.startswith('-')
    whole, _, frac = text.lstrip('-').partition('.')
    value = int(whole) * MICRO + int((frac + '000000')[:6])
    return -value if negative else value


def usdt(value):
    """Integer micro-USDT as the wire's money string."""
    sign = '-' if value < 0 else ''
    value = abs(value)
    return '%s%d.%06d' % (sign, value // MICRO, value % MICRO)


def fee_of(amount):
    """fee = amount * bps / 10000 rounded half-up, in integers."""
    return (amount * FEE_BPS * 2 + 10000) // 20000


# ----------------------------------------------------------------- checks

class CheckFailed(AssertionError):
    pass


def check(condition, message, *details):
    if not condition:
        text = message
        if details:
            text += ': ' + ' | '.join(repr(d) if not isinstance(d, str) else d for d in details)
        raise CheckFailed(text)


def eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed('%s: expected %r, got %r' % (what, expected, actual))


def expect_error(resp, status, code=None, what=''):
    """An error answer: the status, `{"error":{"code","message"}}`, the code."""
    label = what or '%s %s' % (resp.method, resp.path)
    if resp.status != status:
        raise CheckFailed('%s: expected HTTP %d%s, got %d %r'
                          % (label, status, ' ' + code if code else '', resp.status, resp.raw[:300]))
    body = resp.body
    check(isinstance(body, dict) and isinstance(body.get('error'), dict),
          '%s: the error body is not {"error":{…}}' % label, resp.raw[:300])
    err = body['error']
    check(isinstance(err.get('code'), str) and isinstance(err.get('message'), str) and err['message'],
          '%s: the error lacks code or message' % label, resp.raw[:300])
    check(set(body.keys()) == {'error'}, '%s: the error body has other members' % label, resp.raw[:300])
    if code is not None and err['code'] != code:
        raise CheckFailed('%s: expected error code %s, got %s (%s)'
                          % (label, code, err['code'], err['message']))
    return err


def expect_ok(resp, status=200, what=''):
    if resp.status != status:
        raise CheckFailed('%s: expected HTTP %d, got %d %r'
                          % (what or '%s %s' % (resp.method, resp.path), status, resp.status, resp.raw[:300]))
    return resp.body


# ----------------------------------------------------------------- HTTP

class Response:
    """(status, headers, body): body is the parsed JSON, or None."""

    def __init__(self, method, path, status, headers, raw):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.body = json.loads(raw) if raw else None
        except ValueError:
            self.body = None

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        return '<%s %s → %d %r>' % (self.method, self.path, self.status, self.raw[:200])


def http_request(host, port, method, path, body=None, token=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        hdrs = {}
        if token is not None:
            hdrs['Authorization'] = 'Bearer ' + token
        if body is not None:
            if isinstance(body, (dict, list)):
                body = json.dumps(body, separators=(',', ':')).encode()
            elif isinstance(body, str):
                body = body.encode()
            hdrs['Content-Type'] = 'application/json'
        if headers:
            hdrs.update(headers)
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        return Response(method, path, r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
    finally:
        conn.close()


# ----------------------------------------------------------------- the daemon

class Daemon:
    """One platform daemon on a temp dev database."""

    def __init__(self, name='platform', dev=True, serve_args=()):
        self.dir = tempfile.mkdtemp(prefix='usdtpay-%s-' % name)
        self.db = os.path.join(self.dir, 'platform.db')
        self.dev = dev
        self.serve_args = list(serve_args)
        self.proc = None
        self.url = None
        self.host = '127.0.0.1'
        self.port = None
        self.log_path = os.path.join(self.dir, 'daemon.log')
        self.passwords = {}
        self.starts = 0

    # admin --------------------------------------------------------------
    def admin(self, *args, check_rc=True):
        cmd = [PLATFORM, 'admin', '--db', self.db] + (['--dev'] if self.dev else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if check_rc and p.returncode != 0:
            raise CheckFailed('%s exited %d: %s' % (' '.join(args[:2]), p.returncode, p.stderr.strip()))
        return p

    def add_shop(self, name):
        p = self.admin('add-shop', name)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        check(len(lines) == 1 and lines[0].startswith('up_'),
              'add-shop prints the key alone on one line', p.stdout)
        return lines[0].strip()

    def _password_file(self, user, password):
        path = os.path.join(self.dir, 'pw-%s' % user)
        with open(path, 'w') as f:
            f.write(password + '\n')
        self.passwords[user] = password
        return path

    def add_merchant(self, user, password=None):
        password = password or 'secret-%s-pass' % user
        self.admin('add-merchant', user, '--password-file', self._password_file(user, password))
        return password

    def add_support(self, user, password=None):
        password = password or 'secret-%s-pass' % user
        self.admin('add-support', user, '--password-file', self._password_file(user, password))
        return password

    def credit(self, user, amount):
        self.admin('credit', user, amount)

    def check_db(self):
        """`usdtpay-platform check`: (exit status, output)."""
        p = subprocess.run([PLATFORM, 'check', '--db', self.db], capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout + p.stderr

    def assert_check_clean(self):
        rc, out = self.check_db()
        check(rc == 0, '`usdtpay-platform check` is not clean (exit %d)' % rc, out[-2000:])

    # process ------------------------------------------------------------
    def start(self, timeout=30):
        cmd = [PLATFORM, 'serve', '--db', self.db, '--listen', '127.0.0.1:0'] \
            + (['--dev'] if self.dev else []) + self.serve_args
        self.log = open(self.log_path, 'a')
        self.log.write('==== start %d: %s\n' % (self.starts, ' '.join(cmd)))
        self.log.flush()
        self.starts += 1
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line_box = []

        def read_first():
            line_box.append(self.proc.stdout.readline())

        t = threading.Thread(target=read_first, daemon=True)
        t.start()
        t.join(timeout)
        line = line_box[0] if line_box else ''
        m = re.fullmatch(r'listening on (http://127\.0\.0\.1:(\d+))\n', line)
        if not m:
            self.kill9()
            raise CheckFailed('the daemon did not print `listening on URL` within %ds (got %r); log: %s'
                              % (timeout, line, self.log_tail()))
        self.url = m.group(1)
        self.port = int(m.group(2))
        # Keep draining stdout so the daemon never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        return self

    @staticmethod
    def _drain(proc):
        for _ in proc.stdout:
            pass

    def stop(self, timeout=30):
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            raise CheckFailed('the daemon did not exit within %ds of SIGTERM' % timeout)
        self.proc = None
        self.log.close()
        check(rc == 0, 'the daemon exited %d on SIGTERM' % rc, self.log_tail())
        return rc

    def kill9(self):
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.log.close()

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()[-n:]
        except OSError:
            return ''

    def cleanup(self):
        if self.proc is not None:
            self.kill9()
        if os.environ.get('USDTPAY_KEEP_TMP'):
            print('kept %s' % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # HTTP ---------------------------------------------------------------
    def request(self, method, path, body=None, token=None, headers=None, timeout=30):
        return http_request(self.host, self.port, method, path, body, token, headers, timeout)

    def get(self, path, token=None, **kw):
        return self.request('GET', path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request('POST', path, body, token, **kw)

    def patch(self, path, body=None, token=None, **kw):
        return self.request('PATCH', path, body, token, **kw)

    def login(self, user, password=None):
        r = self.post('/v1/sessions', {'username': user, 'password': password or self.passwords[user]})
        body = expect_ok(r, 200, 'login as %s' % user)
        check(isinstance(body.get('token'), str) and body['token'].startswith('us_'),
              'a session token us_…', r.raw)
        return body['token']

    def head(self):
        body = expect_ok(self.get('/v1/health'), 200, 'GET /v1/health')
        return body['seq']

    def advance_clock(self, seconds):
        return expect_ok(self.post('/v1/dev/clock', {'advance_seconds': seconds}), 200,
                         'advance the dev clock by %ss' % seconds)

    # domain helpers -----------------------------------------------------
    def create_order(self, shop_key, amount='100.000000', external_id=None, method='bank',
                     fiat_amount='720.00', currency='CNY', key=None, expect=201, **extra):
        body = {'amount': amount, 'fiat_amount': fiat_amount, 'fiat_currency': currency,
                'method': method, 'external_id': external_id or 'ext-%d-%d' % (os.getpid(), next_serial())}
        body.update(extra)
        headers = {'Idempotency-Key': key} if key else None
        r = self.post('/v1/orders', body, shop_key, headers=headers)
        if expect is None:
            return r
        order = expect_ok(r, expect, 'create order %s' % body['external_id'])
        return order

    def order(self, order_id, token):
        return expect_ok(self.get('/v1/orders/%s' % order_id, token), 200, 'GET order %s' % order_id)

    def action(self, order_id, action, token, body=None, expect=200):
        r = self.post('/v1/orders/%s/%s' % (order_id, action), body if body is not None else {}, token)
        if expect is None:
            return r
        return expect_ok(r, expect, '%s %s' % (action, order_id))

    def merchant_settings(self, token, **settings):
        return expect_ok(self.patch('/v1/merchants/me', settings, token), 200, 'PATCH /v1/merchants/me')

    def balances(self, token):
        return expect_ok(self.get('/v1/ledger/balances', token), 200, 'GET /v1/ledger/balances')

    def accounts(self, support_token):
        body = self.balances(support_token)
        check(isinstance(body.get('accounts'), dict), 'support balances carry accounts', body)
        return {k: micro(v) for k, v in body['accounts'].items()}


_serial = [0]
_serial_lock = threading.Lock()


def next_serial():
    with _serial_lock:
        _serial[0] += 1
        return _serial[0]


def customer_token(order):
    """`t` from the order's pay_url (BASE/pay/{id}?t=TOKEN)."""
    url = order.get('pay_url')
    check(isinstance(url, str), 'the owning shop sees pay_url', order)
    parsed = urllib.parse.urlparse(url)
    check(parsed.path.endswith('/pay/' + order['id']), 'pay_url is BASE/pay/{id}', url)
    t = urllib.parse.parse_qs(parsed.query).get('t')
    check(t and t[0], 'pay_url carries t', url)
    return t[0]


def fee_account(accounts):
    names = [n for n in accounts if 'fee' in n.lower()]
    check(len(names) == 1, 'exactly one platform fee account among the accounts', sorted(accounts))
    return names[0]


# ----------------------------------------------------------------- the feed

class Feed:
    """A WebSocket feed subscriber. With background=True a thread reads every
    message, acks at least twice a second, and keeps the events; otherwise
    the test calls recv() itself."""

    def __init__(self, daemon, token, since=0, background=True, auto_ack=True, timeout=30):
        self.daemon = daemon
        self.events = []
        self.control = []
        self.caught_up = threading.Event()
        self.head_at_caught_up = None
        self.closed = threading.Event()
        self.close_code = None
        self.error = None
        self.last_seq = since
        self.auto_ack = auto_ack
        self.answer_pings = True
        self.cond = threading.Condition()
        self.ws = websocket.create_connection(
            'ws://127.0.0.1:%d/v1/feed?since=%d' % (daemon.port, since),
            header=['Authorization: Bearer %s' % token], timeout=timeout)
        self.thread = None
        if background:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def recv(self):
        """The next message as a dict, or None when the server closed (close_code set).
        Pings are answered unless answer_pings is False (a silent client)."""
        data = None
        while True:
            frame = self.ws.recv_frame()
            op = frame.opcode
            if op in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_CONT):
                data = frame.data if op == websocket.ABNF.OPCODE_TEXT else data + frame.data
                if not frame.fin:
                    continue
                msg = json.loads(data.decode())
                self._note(msg)
                return msg
            if op == websocket.ABNF.OPCODE_PING:
                if self.answer_pings:
                    self.ws.pong(frame.data)
                continue
            if op == websocket.ABNF.OPCODE_CLOSE:
                data = frame.data
                self.close_code = struct.unpack('!H', data[:2])[0] if len(data) >= 2 else 1005
                self.closed.set()
                try:
                    self.ws.close()
                except Exception:
                    pass
                return None
            # pongs and binary frames carry nothing for us

    def _note(self, msg):
        with self.cond:
            if msg.get('type') == 'caught_up':
                self.control.append(msg)
                self.head_at_caught_up = msg.get('seq')
                self.caught_up.set()
            else:
                self.events.append(msg)
                self.last_seq = msg['seq']
            self.cond.notify_all()

    def ack(self, seq=None):
        self.ws.send(json.dumps({'type': 'ack', 'seq': self.last_seq if seq is None else seq}))

    def _run(self):
        last_ack = 0.0
        acked = -1
        self.ws.settimeout(0.25)
        try:
            while True:
                try:
                    msg = self.recv()
                    if msg is None:
                        return
                except websocket.WebSocketTimeoutException:
                    pass
                now = time.monotonic()
                if self.auto_ack and (self.last_seq != acked and now - last_ack >= 0.3 or now - last_ack >= 5):
                    self.ack()
                    acked = self.last_seq
                    last_ack = now
        except (websocket.WebSocketConnectionClosedException, OSError) as e:
            if not self.closed.is_set():
                self.error = e
                self.closed.set()
        finally:
            with self.cond:
                self.cond.notify_all()

    def wait_caught_up(self, timeout=30):
        check(self.caught_up.wait(timeout), 'the feed sends caught_up within %ds' % timeout)
        return self.head_at_caught_up

    def wait_for(self, predicate, timeout=15, what='an event'):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e in self.events:
                    if predicate(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or (self.closed.is_set() and self.thread is not None):
                    raise CheckFailed('the feed did not bring %s within %ss (close code %r); got types %r'
                                      % (what, timeout, self.close_code,
                                         [e.get('type') for e in self.events[-20:]]))
                self.cond.wait(min(left, 0.5))

    def wait_order_event(self, type_, order_id, timeout=15):
        return self.wait_for(lambda e: e.get('type') == type_ and e.get('order', {}).get('id') == order_id,
                             timeout, '%s for %s' % (type_, order_id))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.thread is not None:
            self.thread.join(5)


# ----------------------------------------------------------------- a small world

class World:
    """A shop, some merchants (logged in, online with a live feed, funded) and support."""

    def __init__(self, daemon, merchants=('alice', 'bob'), credit='100000', auto_match=True,
                 online=True, support=True, shop='shop1'):
        self.d = daemon
        self.shop = shop
        self.shop_key = daemon.add_shop(shop)
        self.merchants = list(merchants)
        for m in self.merchants:
            daemon.add_merchant(m)
            if credit:
                daemon.credit(m, credit)
        if support:
            daemon.add_support('sue')
        if daemon.proc is None:
            daemon.start()
        self.support = daemon.login('sue') if support else None
        self.tokens = {}
        self.feeds = {}
        for m in self.merchants:
            self.tokens[m] = daemon.login(m)
            if online:
                self.go_online(m, auto_match)

    def go_online(self, m, auto_match=True, **extra):
        head = self.d.head()
        feed = Feed(self.d, self.tokens[m], since=head)
        feed.wait_caught_up()
        self.feeds[m] = feed
        settings = {'online': True, 'auto_match': auto_match,
                    'methods': [{'id': 'bank', 'account_name': m.title() + ' Example',
                                 'account_number': '6222000011112222'}]}
        settings.update(extra)
        return self.d.merchant_settings(self.tokens[m], **settings)

    def close(self):
        for f in self.feeds.values():
            f.close()


# ----------------------------------------------------------------- the runner

def run(tests):
    """Runs each test function with a fresh Daemon; prints one line per test;
    exits 1 when any failed, 77 (meson's skip) when the daemon is not built."""
    if not os.path.exists(PLATFORM):
        print('SKIP: %s is not built' % PLATFORM)
        sys.exit(77)
    only = sys.argv[1:]
    failed = 0
    for test in tests:
        if only and test.__name__ not in only:
            continue
        d = Daemon(test.__name__)
        started = time.monotonic()
        try:
            test(d)
            print('ok   %s (%.1fs)' % (test.__name__, time.monotonic() - started), flush=True)
        except Exception as e:
            failed += 1
            print('FAIL %s (%.1fs): %s' % (test.__name__, time.monotonic() - started, e), flush=True)
            traceback.print_exc()
            tail = d.log_tail(4000)
            if tail:
                print('---- daemon log (tail) ----\n' + tail + '\n---- end of log ----', flush=True)
        finally:
            d.cleanup()
    sys.exit(1 if failed else 0)
