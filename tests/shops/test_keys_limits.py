# API keys (add, list, rotate, revoke — through the running daemon and
# offline), the per-key rate limit and request ids.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shoplib  # noqa: E402,F401  (puts tests/platform on sys.path)
from harness import World, check, customer_token, eq, expect_error, run  # noqa: E402


def key_lines(d, shop):
    p = d.admin('list-keys', shop)
    return [l.split('\t') for l in p.stdout.splitlines() if l.strip()]


def prefix_of(key):
    return key[:10]


def test_keys_add_list_rotate_revoke(d):
    first = d.add_shop('shop1')
    d.start()
    eq(d.get('/v1/orders', first).status, 200, 'the first key works')

    # A narrow key, added through the running daemon, works at once.
    p = d.admin('add-key', 'shop1', '--scopes', 'orders:read')
    narrow = p.stdout.strip()
    check(re.fullmatch(r'up_[A-Za-z0-9_-]{30,}', narrow), 'add-key prints the new key alone', p.stdout)
    eq(d.get('/v1/orders', narrow).status, 200, 'the new key reads')
    expect_error(d.create_order(narrow, expect=None), 403, 'forbidden', 'the new key cannot write')

    lines = key_lines(d, 'shop1')
    eq(len(lines), 2, 'list-keys shows both keys')
    listing = '\n'.join('\t'.join(l) for l in lines)
    check(first not in listing and narrow not in listing, 'list-keys never shows a whole key', listing)
    check(any('orders:read' == l[-1] and l[-2] == 'active' for l in lines), 'scopes and state listed', listing)
    expect_error_rc = d.admin('add-key', 'shop1', '--scopes', 'nonsense', check_rc=False)
    check(expect_error_rc.returncode != 0, 'an unknown scope is refused', expect_error_rc.stderr)
    eq(len(key_lines(d, 'shop1')), 2, 'nothing added by the refusal')

    # Rotate: the old key is refused at once, the new one works with its scopes.
    p = d.admin('rotate-key', 'shop1', prefix_of(narrow))
    rotated = p.stdout.strip()
    check(rotated.startswith('up_') and rotated != narrow, 'rotate-key prints a new key', p.stdout)
    expect_error(d.get('/v1/orders', narrow), 401, 'unauthenticated', 'the rotated-out key, at once')
    eq(d.get('/v1/orders', rotated).status, 200, 'the rotated key works')

    # Revoke through the running daemon: refused at once.
    d.admin('revoke-key', 'shop1', prefix_of(first))
    expect_error(d.get('/v1/orders', first), 401, 'unauthenticated', 'a revoked key, at once')
    expect_error(d.create_order(first, expect=None), 401, 'unauthenticated', 'a revoked key cannot create')
    lines = key_lines(d, 'shop1')
    check(sum(1 for l in lines if l[-2] == 'revoked') == 2, 'two keys listed as revoked', lines)
    check(d.admin('revoke-key', 'shop1', 'up_nothere', check_rc=False).returncode != 0,
          'revoking an unknown prefix fails')

    # Offline: revoked while the daemon is down, still refused after it starts.
    d.stop()
    d.admin('revoke-key', 'shop1', prefix_of(rotated))
    d.start()
    expect_error(d.get('/v1/orders', rotated), 401, 'unauthenticated', 'revoked offline, refused after start')
    expect_error(d.get('/v1/orders', first), 401, 'unauthenticated', 'still revoked after a restart')
    d.stop()
    d.assert_check_clean()


def test_rate_limit_429(d):
    d.serve_args = ['--rate-limit', '5']
    w = World(d, merchants=('alice',))
    other = d.add_shop('shop2')
    statuses, retry = [], []
    for _ in range(20):
        r = d.get('/v1/orders', w.shop_key)
        statuses.append(r.status)
        if r.status == 429:
            retry.append(r.headers.get('retry-after'))
            eq(r.body['error']['code'], 'rate_limited', 'the error code')
            check(r.headers.get('x-request-id'), 'a 429 carries a request id too')
    check(statuses[:5] == [200] * 5, 'the first 5 requests (the burst) pass', statuses)
    check(statuses.count(429) >= 10, 'requests beyond 5 per second answer 429', statuses)
    check(all(v is not None and v.isdigit() and int(v) >= 1 for v in retry), 'Retry-After in seconds', retry)
    eq(d.get('/v1/orders', other).status, 200, "another key has its own bucket")
    eq(d.get('/v1/merchants/me', w.tokens['alice']).status, 200, 'a session has its own bucket')
    time.sleep(1.3)
    eq(d.get('/v1/orders', w.shop_key).status, 200, 'the bucket refills')

    # Sustained: about N per second get through.
    ok, started = 0, time.monotonic()
    while time.monotonic() - started < 2.0:
        if d.get('/v1/orders', other).status == 200:
            ok += 1
    check(10 <= ok <= 5 + 2 * 5 + 2, 'about 5 per second over 2 s (plus the burst)', ok)

    # Customers: limited per order token.
    order = d.create_order(w.shop_key)
    t = customer_token(order)
    codes = [d.get('/v1/orders/%s' % order['id'], t).status for _ in range(12)]
    check(codes.count(429) >= 5, 'a customer token is limited too', codes)
    w.close()
    d.stop()


def test_request_ids(d):
    os.environ['G_MESSAGES_DEBUG'] = 'usdtpay-access'
    try:
        w = World(d, merchants=('alice',))
    finally:
        del os.environ['G_MESSAGES_DEBUG']
    order = d.create_order(w.shop_key, external_id='rid-1')
    t = customer_token(order)
    seen = set()
    for method, path, token in (('GET', '/v1/health', None), ('GET', '/v1/orders', w.shop_key),
                                ('GET', '/v1/nothing', None), ('GET', '/v1/orders', None),
                                ('GET', urllib.parse.urlparse(order['pay_url']).path + '?t=' + t, None),
                                ('GET', '/pay/%s?t=wrong' % order['id'], None),
                                ('POST', '/v1/orders/%s/paid' % order['id'], t)):
        r = d.request(method, path, {} if method == 'POST' else None, token)
        rid = r.headers.get('x-request-id')
        check(rid and re.fullmatch(r'req_[0-9a-f]{24}', rid), '%s %s carries a request id' % (method, path),
              r.headers)
        seen.add(rid)
    eq(len(seen), 7, 'each request has its own id')

    r = d.get('/v1/health', headers={'X-Request-Id': 'shop-trace.42:abc'})
    eq(r.headers.get('x-request-id'), 'shop-trace.42:abc', 'a sane incoming id is echoed')
    for bad in ('has space', 'x' * 200, 'semi;colon', '<script>'):
        r = d.get('/v1/health', headers={'X-Request-Id': bad})
        rid = r.headers.get('x-request-id')
        check(rid != bad and rid.startswith('req_'), 'an insane incoming id is replaced: %r' % bad, rid)

    # Concurrent requests keep their own ids.
    ids = []

    def one(i):
        r = d.get('/v1/health', headers={'X-Request-Id': 'par-%d' % i})
        ids.append((i, r.headers.get('x-request-id')))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    check(all(rid == 'par-%d' % i for i, rid in ids), 'ids under concurrency', ids)

    d.stop()
    log = d.log_tail(10 ** 7)
    for rid in seen | {'shop-trace.42:abc', 'par-7'}:
        check(rid in log, 'the request id %s is in the log' % rid)
    check(re.search(r'shop-trace\.42:abc GET /v1/health 200 \d+ms', log), 'an access log line', log[-2000:])
    check(t not in log, "the customer's token never reaches the log")
    check(w.shop_key not in log, 'no API key in the log')
    w.close()


if __name__ == '__main__':
    run([test_keys_add_list_rotate_revoke, test_rate_limit_429, test_request_ids])
