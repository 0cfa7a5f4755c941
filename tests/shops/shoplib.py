# Helpers for the shops tests: a webhook receiver that verifies signatures
# the way docs/integration.md tells a shop to, and a listener that never
# answers. The daemon itself is driven through tests/platform/harness.py.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import hashlib
import hmac
import http.server
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))

from harness import CheckFailed, check  # noqa: E402

TOLERANCE = 300  # seconds: older signatures are replays


def verify_signature(secret, header, body, now=None, tolerance=TOLERANCE):
    """True when `UsdtPay-Signature: t=…,v1=…` signs body with secret and
    t is recent. The receiver side of docs/integration.md."""
    if not header:
        return False
    fields = dict(part.split('=', 1) for part in header.split(',') if '=' in part)
    try:
        t = int(fields['t'])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode('ascii'), str(t).encode() + b'.' + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get('v1', ''))


class Receiver:
    """An HTTP webhook receiver on 127.0.0.1. `plan(event_id, n)` gives the
    status to answer the n-th delivery (1-based) of an event, or a (status,
    {header: value}) pair; every request
    is recorded with its arrival time and whether its signature verified."""

    def __init__(self, plan=None):
        self.secret = None
        self.plan = plan or (lambda event_id, n: 200)
        self.requests = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get('Content-Length', '0'))
                body = self.rfile.read(length)
                receiver._record(self, body)

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d/hooks/usdtpay' % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _record(self, handler, body):
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        event_id = event.get('id') if isinstance(event, dict) else None
        with self.cond:
            n = 1 + sum(1 for r in self.requests if r['event_id'] == event_id)
            status, extra = self.plan(event_id, n), {}
            if isinstance(status, tuple):
                status, extra = status
            self.requests.append({
                'at': time.monotonic(),
                'path': handler.path,
                'headers': {k.lower(): v for k, v in handler.headers.items()},
                'body': body,
                'event': event,
                'event_id': event_id,
                'n': n,
                'status': status,
                'verified': self.secret is not None and verify_signature(
                    self.secret, handler.headers.get('UsdtPay-Signature'), body),
            })
            self.cond.notify_all()
        handler.send_response(status)
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.send_header('Content-Length', '2')
        handler.send_header('Content-Type', 'text/plain')
        handler.end_headers()
        handler.wfile.write(b'ok')

    def of(self, event_id):
        with self.lock:
            return [r for r in self.requests if r['event_id'] == event_id]

    def wait_for(self, predicate, timeout=15, what='webhook requests'):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(list(self.requests)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CheckFailed('timed out waiting for %s; got %s' % (
                        what, [(r['event_id'], r['event'] and r['event'].get('type'), r['status'])
                               for r in self.requests]))
                self.cond.wait(min(left, 0.2))
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """A TCP listener that accepts connections and never answers, recording
    how many bytes arrived."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.received = 0
        self.accepted = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def close(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def set_webhook(d, key, url, expect=200):
    r = d.patch('/v1/shops/me', {'webhook_url': url}, key)
    if expect != 200:
        check(r.status == expect, 'PATCH /v1/shops/me %s answers %d' % (url, expect), r.status, r.raw)
        return r.body
    check(r.status == 200, 'PATCH /v1/shops/me answers 200', r.status, r.raw)
    secret = r.body.get('webhook_secret')
    check(isinstance(secret, str) and secret.startswith('whsec_') and len(secret) > 30,
          'the answer carries the webhook secret', r.raw)
    check(r.body.get('webhook_url') == url, 'the answer carries the URL', r.raw)
    return secret


def deliveries(d, key, **query):
    path = '/v1/webhook-deliveries'
    if query:
        path += '?' + '&'.join('%s=%s' % kv for kv in query.items())
    r = d.get(path, key)
    check(r.status == 200, 'GET %s answers 200' % path, r.status, r.raw)
    return r.body


def wait_deliveries(d, key, predicate, timeout=15, what='deliveries'):
    deadline = time.monotonic() + timeout
    while True:
        items = deliveries(d, key, limit=200)['items']
        if predicate(items):
            return items
        if time.monotonic() > deadline:
            raise CheckFailed('timed out waiting for %s; have %s' % (
                what, [(i['id'], i['type'], i['state'], [a['status'] for a in i['attempts']]) for i in items]))
        time.sleep(0.1)
