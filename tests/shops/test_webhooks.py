# Webhooks against the real daemon: signatures, the retry schedule, the
# outbox across a kill -9, a receiver that never answers, the address policy
# outside dev mode, redelivery and the API's refusals.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from shoplib import (Receiver, Silent, deliveries, set_webhook, verify_signature,  # noqa: E402
                     wait_deliveries)
from harness import (PLATFORM, CheckFailed, Daemon, World, check, customer_token, eq,  # noqa: E402
                     expect_error, run)

BASE_MS = 200
ORDER_EVENTS = ('order.created', 'order.matched', 'order.paid', 'order.completed')


def fail_twice(event_id, n):
    return 500 if n <= 2 else 200


def test_retries_signatures_redelivery(d):
    d.serve_args = ['--webhook-retry-base-ms', str(BASE_MS)]
    rx = Receiver(fail_twice)
    try:
        w = World(d, merchants=('alice',))
        alice = w.tokens['alice']
        r = d.get('/v1/shops/me', w.shop_key)
        eq((r.status, r.body), (200, {'name': 'shop1', 'webhook_url': None}), 'GET /v1/shops/me before')
        rx.secret = set_webhook(d, w.shop_key, rx.url)
        r = d.get('/v1/shops/me', w.shop_key)
        eq(r.body, {'name': 'shop1', 'webhook_url': rx.url}, 'GET /v1/shops/me shows the URL, never the secret')

        order = d.create_order(w.shop_key, external_id='hook-1')
        t = customer_token(order)
        deadline = time.monotonic() + 10
        while d.order(order['id'], w.shop_key)['state'] != 'matched':
            check(time.monotonic() < deadline, 'the order is matched')
            time.sleep(0.05)
        d.action(order['id'], 'paid', t, {'payer_name': 'Zhang San'})
        d.action(order['id'], 'confirm', alice)

        # Each of the four events: 500, 500, then 200, and nothing more.
        reqs = rx.wait_for(lambda rs: sum(1 for r in rs if r['status'] == 200) == 4, timeout=30,
                           what='four events delivered')
        time.sleep(3 * BASE_MS * 8 / 1000)
        reqs = rx.requests
        by_type = {}
        for r in reqs:
            check(r['verified'], 'every request is signed with the secret, recently', r['headers'])
            check(r['path'] == '/hooks/usdtpay', 'the URL path is kept', r['path'])
            eq(r['headers'].get('content-type'), 'application/json', 'Content-Type')
            eq(r['headers'].get('usdtpay-event-id'), r['event_id'], 'UsdtPay-Event-Id is the body id')
            by_type.setdefault(r['event']['type'], []).append(r)
        eq(sorted(by_type), sorted(ORDER_EVENTS), 'one delivery per order event')
        ids = set()
        for type_, rs in by_type.items():
            eq([r['status'] for r in rs], [500, 500, 200], '%s: exactly the expected attempts' % type_)
            eq(len({r['event_id'] for r in rs}), 1, '%s: one event id across retries' % type_)
            eq(len({r['body'] for r in rs}), 1, '%s: the same body on every attempt' % type_)
            ids.add(rs[0]['event_id'])
            gap1, gap2 = rs[1]['at'] - rs[0]['at'], rs[2]['at'] - rs[1]['at']
            check(gap1 >= 0.8 * BASE_MS / 1000 - 0.02, '%s: the first retry waits ~base' % type_, gap1)
            check(gap2 >= 1.6 * BASE_MS / 1000 - 0.02, '%s: the second retry waits ~2 x base' % type_, gap2)
            ev = rs[0]['event']
            eq(ev['order']['id'], order['id'], '%s: the order' % type_)
            check(ev['order'].get('pay_url', '').endswith('/pay/%s?t=%s' % (order['id'], t)),
                  '%s: the order carries pay_url' % type_, ev['order'])
            check(isinstance(ev['seq'], int) and ev['at'].endswith('Z'), 'seq and at as in the feed', ev)
            eq(ev['id'], 'evt_%d' % ev['seq'], 'the event id')
        eq(len(ids), 4, 'distinct event ids')
        eq(by_type['order.completed'][0]['event']['order']['state'], 'completed', 'the completed order')

        # A tampered body, timestamp or secret does not verify.
        r = by_type['order.paid'][-1]
        header = r['headers']['usdtpay-signature']
        check(verify_signature(rx.secret, header, r['body']), 'the genuine request verifies')
        tampered = r['body'].replace(b'"paid"', b'"PAID"')
        check(tampered != r['body'] and not verify_signature(rx.secret, header, tampered),
              'a tampered body is detected')
        t_old = int(header.split(',')[0][2:])
        forged = 't=%d,%s' % (t_old + 1, header.split(',')[1])
        check(not verify_signature(rx.secret, forged, r['body']), 'a changed timestamp is detected')
        check(not verify_signature(rx.secret + 'x', header, r['body']), 'another secret does not verify')
        check(not verify_signature(rx.secret, header, r['body'], now=t_old + 301),
              'a signature older than 5 minutes is refused as a replay')

        # The API shows each delivery with its attempts, newest first.
        items = wait_deliveries(d, w.shop_key, lambda it: len(it) == 4 and
                                all(i['state'] == 'delivered' for i in it), what='4 delivered')
        eq([i['type'] for i in items], list(reversed(ORDER_EVENTS)), 'newest first')
        for i in items:
            eq([a['status'] for a in i['attempts']], [500, 500, 200], 'attempts of %s' % i['type'])
            eq([a['n'] for a in i['attempts']], [1, 2, 3], 'attempt numbers')
            check(all(isinstance(a['duration_ms'], int) and a['at'].endswith('Z') and a['error'] is None
                      for a in i['attempts']), 'attempt time, duration, error', i['attempts'])
            eq(i['next_attempt_at'], None, 'no next attempt once delivered')
        page = deliveries(d, w.shop_key, limit=3)
        eq(len(page['items']), 3, 'limit')
        check(page['next'] is not None, 'a next cursor', page)
        rest = deliveries(d, w.shop_key, limit=3, after=page['next'])
        eq([i['id'] for i in page['items'] + rest['items']], [i['id'] for i in items], 'paging')
        eq(rest['next'], None, 'the last page')

        # Another 4xx stops at once.
        rx.plan = lambda event_id, n: 410
        second = d.create_order(w.shop_key, external_id='hook-2')
        items = wait_deliveries(d, w.shop_key, lambda it: any(
            i['order_id'] == second['id'] and i['type'] == 'order.created' and i['state'] == 'failed'
            for i in it), what='the 410 delivery failed')
        failed = [i for i in items if i['order_id'] == second['id'] and i['type'] == 'order.created'][0]
        eq([a['status'] for a in failed['attempts']], [410], 'one attempt on 410')
        time.sleep(1)
        created = [r for r in rx.requests if r['event_id'] == failed['event_id']]
        eq(len(created), 1, 'a 410 is not retried')

        # Redelivery: the same event again, as a new delivery.
        rx.plan = lambda event_id, n: 200
        r = d.post('/v1/webhook-deliveries/%d/redeliver' % failed['id'], {}, w.shop_key)
        eq(r.status, 202, 'redeliver answers 202')
        eq(r.body['event_id'], failed['event_id'], 'the redelivery carries the same event')
        check(r.body['id'] != failed['id'], 'as a new delivery', r.body)
        rx.wait_for(lambda rs: any(x['event_id'] == failed['event_id'] and x['status'] == 200 for x in rs),
                    what='the redelivered event')
        again = rx.of(failed['event_id'])
        eq(again[0]['body'], again[-1]['body'], 'the same body')
        wait_deliveries(d, w.shop_key, lambda it: any(i['id'] == r.body['id'] and i['state'] == 'delivered'
                                                      for i in it), what='the redelivery delivered')

        # Refusals.
        expect_error(d.get('/v1/webhook-deliveries'), 401, 'unauthenticated', 'no key')
        expect_error(d.get('/v1/webhook-deliveries', alice), 403, 'forbidden', 'a merchant')
        p = d.admin('add-key', 'shop1', '--scopes', 'orders:read')
        narrow = p.stdout.strip()
        expect_error(d.get('/v1/webhook-deliveries', narrow), 403, 'forbidden', 'a key without webhooks')
        expect_error(d.patch('/v1/shops/me', {'webhook_url': rx.url}, narrow), 403, 'forbidden',
                     'PATCH without the webhooks scope')
        eq(d.get('/v1/shops/me', narrow).status, 200, 'GET /v1/shops/me needs no scope')
        expect_error(d.post('/v1/webhook-deliveries/999999/redeliver', {}, w.shop_key), 404, 'not_found',
                     'an unknown delivery')
        other = d.add_shop('shop2')
        expect_error(d.post('/v1/webhook-deliveries/%d/redeliver' % failed['id'], {}, other), 404,
                     'not_found', "another shop's delivery")
        eq(deliveries(d, other)['items'], [], 'another shop sees none of them')
        for bad in ({'webhook_url': 'ftp://example.com/x'}, {'webhook_url': 'http://example.com/x'},
                    {'webhook_url': 'https://user:pw@example.com/x'}, {'webhook_url': 'not a url'},
                    {'webhook_url': 5}, {'webhook_url': rx.url, 'extra': 1}, {}):
            expect_error(d.patch('/v1/shops/me', bad, w.shop_key), 400, None, 'PATCH %r' % bad)
        expect_error(d.patch('/v1/shops/me', '{"webhook_url":"https://a.example", }', w.shop_key), 400,
                     None, 'strict JSON')
        eq(d.get('/v1/shops/me', w.shop_key).body['webhook_url'], rx.url, 'refusals changed nothing')
        expect_error(d.request('DELETE', '/v1/shops/me', token=w.shop_key), 405, None, 'DELETE')
        # Removing the URL stops new deliveries.
        r = d.patch('/v1/shops/me', {'webhook_url': None}, w.shop_key)
        eq((r.status, r.body), (200, {'name': 'shop1', 'webhook_url': None}), 'remove the webhook')
        n = len(rx.requests)
        d.create_order(w.shop_key, external_id='hook-3')
        time.sleep(1)
        eq(len(rx.requests), n, 'no deliveries without a URL')
        w.close()
        d.stop()
        d.assert_check_clean()
    finally:
        rx.close()


def test_gives_up_after_the_last_attempt(d):
    # 30 attempts with the schedule scaled down: 10 ms, 20 ms, … 1.28 s, then
    # 1.28 s each (±20 %): about 30 s instead of about a day.
    d.serve_args = ['--webhook-retry-base-ms', '10']
    rx = Receiver(lambda event_id, n: 503)
    try:
        shop_key = d.add_shop('shop1')
        d.start()
        rx.secret = set_webhook(d, shop_key, rx.url)
        started = time.monotonic()
        d.create_order(shop_key, external_id='give-up-1')
        items = wait_deliveries(d, shop_key, lambda it: it and it[0]['state'] == 'failed', timeout=90,
                                what='the delivery given up')
        elapsed = time.monotonic() - started
        time.sleep(2)
        reqs = rx.requests
        eq(len(reqs), 30, 'exactly 30 attempts')
        check(all(r['verified'] for r in reqs), 'each attempt signed')
        eq(len({r['body'] for r in reqs}), 1, 'the same body every time')
        eq([a['n'] for a in items[0]['attempts']], list(range(1, 31)), 'every attempt recorded')
        check(all(a['status'] == 503 for a in items[0]['attempts']), 'with its status', items[0]['attempts'])
        eq(items[0]['next_attempt_at'], None, 'no next attempt')
        gaps = [b['at'] - a['at'] for a, b in zip(reqs, reqs[1:])]
        # The worker looks for due retries every 50 ms: allow that much late.
        for i, gap in enumerate(gaps):
            expected = 0.010 * 2 ** min(i, 7)
            check(0.8 * expected - 0.005 <= gap <= 1.2 * expected + 0.15,
                  'retry %d after %.3f s (%.3f s ± 20 %% expected)' % (i + 1, gap, expected), gaps)
        check(20 < elapsed < 60, 'about 30 s in all', elapsed)
        d.stop()
        d.assert_check_clean()
    finally:
        rx.close()


def test_retry_after_and_redirects(d):
    d.serve_args = ['--webhook-retry-base-ms', '10']
    rx = Receiver(lambda event_id, n: (429, {'Retry-After': '2'}) if n == 1 else 200)
    try:
        shop_key = d.add_shop('shop1')
        d.start()
        rx.secret = set_webhook(d, shop_key, rx.url)
        d.create_order(shop_key, external_id='retry-after-1')
        reqs = rx.wait_for(lambda rs: any(r['status'] == 200 for r in rs), timeout=15, what='the second attempt')
        eq([r['status'] for r in reqs], [429, 200], 'a 429, then success')
        gap = reqs[1]['at'] - reqs[0]['at']
        check(1.9 <= gap <= 3.5, "the receiver's Retry-After is honoured", gap)

        # A redirect is a final answer: not followed, not retried.
        rx.plan = lambda event_id, n: (307, {'Location': rx.url + '/elsewhere'})
        order = d.create_order(shop_key, external_id='redirect-1')
        items = wait_deliveries(d, shop_key, lambda it: any(i['order_id'] == order['id'] and i['state'] == 'failed'
                                                             for i in it), what='the redirected delivery failed')
        failed = [i for i in items if i['order_id'] == order['id']][0]
        eq([a['status'] for a in failed['attempts']], [307], 'one attempt, answered 307')
        time.sleep(0.5)
        eq([r['path'] for r in rx.requests if r['event_id'] == failed['event_id']], ['/hooks/usdtpay'],
           'the redirect was not followed')
        d.stop()
        d.assert_check_clean()
    finally:
        rx.close()


def test_restart_mid_retry_still_delivers(d):
    d.serve_args = ['--webhook-retry-base-ms', '300']
    down = [True]
    rx = Receiver(lambda event_id, n: 503 if down[0] else 200)
    try:
        shop_key = d.add_shop('shop1')
        d.start()
        rx.secret = set_webhook(d, shop_key, rx.url)
        order = d.create_order(shop_key, external_id='restart-1')
        rx.wait_for(lambda rs: len(rs) >= 2, what='two failed attempts')
        # kill -9: the outbox row was durable before the order was answered.
        d.kill9()
        time.sleep(0.5)
        before = len(rx.requests)
        down[0] = False
        d.start()
        reqs = rx.wait_for(lambda rs: any(r['status'] == 200 for r in rs), timeout=20,
                           what='the delivery after the restart')
        ok = [r for r in reqs if r['status'] == 200]
        eq(len(ok), 1, 'delivered once')
        check(ok[0]['verified'], 'signed with the same secret after the restart')
        eq(ok[0]['event']['type'], 'order.created', 'the event')
        eq(ok[0]['event']['order']['id'], order['id'], 'the order')
        check(len(reqs) > before, 'the restarted daemon sent it', len(reqs), before)
        items = wait_deliveries(d, shop_key, lambda it: len(it) == 1 and it[0]['state'] == 'delivered',
                                what='the delivery recorded as delivered')
        statuses = [a['status'] for a in items[0]['attempts']]
        eq(statuses[-1], 200, 'the last attempt succeeded')
        check(statuses.count(503) >= 1 and len(statuses) <= len(reqs),
              'the attempts before the kill were kept', statuses)
        # A clean restart does not send it again.
        d.restart()
        time.sleep(1.5)
        eq(sum(1 for r in rx.requests if r['status'] == 200), 1, 'a delivered event is not sent again')
        d.stop()
        d.assert_check_clean()
    finally:
        rx.close()


def test_dead_receiver_delays_nothing(d):
    silent = Silent()
    rx = Receiver()
    try:
        dead_key = d.add_shop('deadshop')
        live_key = d.add_shop('liveshop')
        d.start()
        set_webhook(d, dead_key, 'http://127.0.0.1:%d/never' % silent.port)
        rx.secret = set_webhook(d, live_key, rx.url)

        # Far more events than the dead shop may have in flight.
        for i in range(20):
            started = time.monotonic()
            d.create_order(dead_key, external_id='dead-%d' % i)
            check(time.monotonic() - started < 1.0, 'creating an order is not held up by the dead receiver')
        started = time.monotonic()
        live = d.create_order(live_key, external_id='live-1')
        rx.wait_for(lambda rs: any(r['event']['order']['id'] == live['id'] for r in rs), timeout=3,
                    what="the live shop's delivery")
        check(time.monotonic() - started < 2.0, "the live shop's delivery is prompt",
              time.monotonic() - started)
        check(rx.requests[0]['verified'], 'signed')
        check(1 <= silent.accepted <= 16, 'at most 16 attempts in flight for one shop', silent.accepted)

        # Each attempt gives up after 10 s and is recorded.
        items = wait_deliveries(d, dead_key, lambda it: sum(1 for i in it if i['attempts']) >= 1,
                                timeout=20, what='a timed-out attempt')
        tried = [i for i in items if i['attempts']]
        a = tried[0]['attempts'][0]
        eq(a['status'], None, 'no status')
        check('no answer within 10000 ms' in (a['error'] or ''), 'the timeout is recorded', a)
        check(9500 <= a['duration_ms'] <= 13000, 'the attempt took the 10 s timeout', a)
        eq(tried[0]['state'], 'pending', 'a timeout is retried')
        # Once its receiver fails, the shop keeps at most 2 attempts in flight.
        accepted = silent.accepted
        time.sleep(12)
        check(silent.accepted - accepted <= 2 + 2, 'a failing shop holds at most 2 connections at a time',
              silent.accepted, accepted)
        d.stop()
        d.assert_check_clean()
    finally:
        silent.close()
        rx.close()


def test_private_addresses_refused_outside_dev(d):
    d.dev = False
    silent = Silent()
    try:
        shop_key = d.add_shop('shop1')
        # The retry option is a dev-mode knob.
        p = subprocess.run([PLATFORM, 'serve', '--db', d.db, '--listen', '127.0.0.1:0',
                            '--webhook-retry-base-ms', '10'], capture_output=True, text=True, timeout=60)
        eq(p.returncode, 2, '--webhook-retry-base-ms on a production database')
        d.start()
        set_webhook(d, shop_key, 'http://127.0.0.1:%d/x' % silent.port, expect=400)
        set_webhook(d, shop_key, 'http://localhost:%d/x' % silent.port, expect=400)
        # https to a name that resolves to loopback: accepted when set, refused
        # when connecting, before a byte is sent.
        url = 'https://localhost:%d/x' % silent.port
        set_webhook(d, shop_key, url)
        order = d.create_order(shop_key, external_id='private-1')
        items = wait_deliveries(d, shop_key, lambda it: it and it[0]['attempts'], timeout=15,
                                what='a refused attempt')
        a = items[0]['attempts'][0]
        eq(items[0]['order_id'], order['id'], 'the order')
        check('refused' in (a['error'] or '') and 'private' in a['error'], 'the address is refused', a)
        eq(a['status'], None, 'no status')
        time.sleep(0.5)
        eq(silent.received, 0, 'not a byte reached the private address')
        d.stop()
        d.assert_check_clean()
    finally:
        silent.close()


if __name__ == '__main__':
    run([test_retries_signatures_redelivery, test_gives_up_after_the_last_attempt,
         test_retry_after_and_redirects, test_restart_mid_retry_still_delivers,
         test_dead_receiver_delays_nothing, test_private_addresses_refused_outside_dev])
