# Races: 100 merchants accepting one offer at once, confirms retried and
# concurrent, and idempotent creates (replays, mismatches, 50 at once).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from harness import (Feed, World, check, customer_token, eq, expect_error, expect_ok,
                     fee_account, fee_of, micro, run, usdt)

CREDIT = 1000 * 1000000


def barrier_all(n, fn):
    """Runs fn(i) in n threads released together by a barrier; returns the results in order."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # recorded, checked by the caller
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def list_orders(d, token, **query):
    items = []
    after = None
    while True:
        q = '&'.join(['limit=100'] + ['%s=%s' % kv for kv in query.items()]
                     + (['after=%s' % after] if after else []))
        body = expect_ok(d.get('/v1/orders?' + q, token), 200, 'GET /v1/orders')
        check(isinstance(body.get('items'), list) and 'next' in body and isinstance(body.get('seq'), int),
              'a list answers {"items","next","seq"}', body)
        items += body['items']
        if not body['next']:
            return items
        after = body['next']


def test_hundred_concurrent_accepts(d):
    n = 100
    names = ['m%03d' % i for i in range(n)]
    shop_key = d.add_shop('shop1')
    d.add_support('sue')

    for name in names:
        d.add_merchant(name)
        d.credit(name, '1000')
    d.start()
    with ThreadPoolExecutor(8) as ex:
        tokens = list(ex.map(d.login, names))
    head = d.head()
    feeds = [Feed(d, t, since=head) for t in tokens]
    for f in feeds:
        f.wait_caught_up()
    for t in tokens:
        d.merchant_settings(t, online=True, auto_match=False,
                            methods=[{'id': 'bank', 'account_name': 'M', 'account_number': '1'}])

    amount = micro('77.000000')
    order = d.create_order(shop_key, amount=usdt(amount), external_id='race-1')
    eq(order['state'], 'pending', 'offered, not auto-matched')
    for f in feeds:
        f.wait_order_event('order.offered', order['id'])

    results = barrier_all(n, lambda i: d.action(order['id'], 'accept', tokens[i], expect=None))
    for r in results:
        check(not isinstance(r, Exception), 'every accept got an answer', r)
    winners = [i for i, r in enumerate(results) if r.status == 200]
    eq(len(winners), 1, 'exactly one accept wins')
    losers = [i for i, r in enumerate(results) if r.status != 200]
    for i in losers:
        expect_error(results[i], 409, 'already_taken', 'accept by %s' % names[i])
    winner = winners[0]
    eq(results[winner].body['merchant'], names[winner], 'the winner is the merchant of the order')
    eq(d.order(order['id'], shop_key)['merchant'], names[winner], 'the stored merchant')

    for i, t in enumerate(tokens):
        b = d.balances(t)
        expected = (CREDIT - amount, amount) if i == winner else (CREDIT, 0)
        eq((micro(b['available']), micro(b['frozen'])), expected, 'balances of %s' % names[i])
    for i in losers:
        ev = feeds[i].wait_order_event('offer.withdrawn', order['id'])
        eq(set(ev['order']), {'id'}, 'offer.withdrawn holds the id only')
    check(not any(e['type'] == 'offer.withdrawn' for e in feeds[winner].events),
          'the winner gets no offer.withdrawn')
    for f in feeds:
        f.close()
    d.stop()
    d.assert_check_clean()


def test_confirm_releases_once(d):
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    amount = micro('250.000000')
    fee = fee_of(amount)
    order = d.create_order(w.shop_key, amount=usdt(amount), external_id='once-1')
    t = customer_token(order)
    if order['state'] != 'matched':
        w.feeds['alice'].wait_order_event('order.matched', order['id'])
    d.action(order['id'], 'paid', t, {'payer_name': 'P'})
    w.feeds['alice'].wait_order_event('order.paid', order['id'])

    # 20 concurrent confirms by the merchant: all answer 200 with the same
    # completed order, and the escrow is released once.
    results = barrier_all(20, lambda i: d.action(order['id'], 'confirm', alice, expect=None))
    versions = set()
    for r in results:
        check(not isinstance(r, Exception), 'every confirm got an answer', r)
        body = expect_ok(r, 200, 'a concurrent confirm')
        eq(body['state'], 'completed', 'state in a confirm answer')
        versions.add(body['version'])
    eq(len(versions), 1, 'every confirm answer shows the same version')

    head = d.head()
    # Retried after a lost answer: still 200, nothing written.
    version = versions.pop()
    for _ in range(3):
        again = d.action(order['id'], 'confirm', alice)
        eq((again['state'], again['version']), ('completed', version), 'a retried confirm')
    eq(d.head(), head, 'retried confirms write nothing')

    b = d.balances(alice)
    eq((micro(b['available']), micro(b['frozen'])), (100000 * 1000000 - amount, 0), 'alice released once')
    eq(micro(d.balances(w.shop_key)['balance']), amount - fee, 'the shop is credited once')
    accounts = d.accounts(w.support)
    eq(accounts[fee_account(accounts)], fee, 'the fee is booked once')
    eq(sum(accounts.values()), 0, 'the ledger sums to zero')
    # The event goes out with the answers, not before them: wait for it, give
    # a duplicate time to arrive, then count.
    w.feeds['alice'].wait_order_event('order.completed', order['id'])
    time.sleep(0.5)
    completed = [e for e in w.feeds['alice'].events
                 if e['type'] == 'order.completed' and e['order']['id'] == order['id']]
    eq(len(completed), 1, 'one order.completed event')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_idempotent_create(d):
    shop = d.add_shop('shop1')
    shop2 = d.add_shop('shop2')
    d.start()
    body = ('{"amount":"12.000000","fiat_amount":"86.40","fiat_currency":"CNY",'
            '"method":"bank","external_id":"idem-1"}')
    hdr = {'Idempotency-Key': 'key-1'}
    first = d.post('/v1/orders', body, shop, headers=hdr)
    expect_ok(first, 201, 'the first create')
    head = d.head()
    again = d.post('/v1/orders', body, shop, headers=hdr)
    eq(again.status, 201, 'a replay answers the first status')
    eq(again.raw, first.raw, 'a replay answers the first bytes')
    eq(d.head(), head, 'a replay writes nothing')

    other = body.replace('12.000000', '13.000000')
    expect_error(d.post('/v1/orders', other, shop, headers=hdr), 409, 'idempotency_key_reused',
                 'the same key with another body')
    # Another body that differs only in bytes (whitespace) is another body too.
    expect_error(d.post('/v1/orders', body.replace(',', ', ', 1), shop, headers=hdr), 409,
                 'idempotency_key_reused', 'the same key with other bytes')

    # The key is scoped to the shop.
    o2 = expect_ok(d.post('/v1/orders', body, shop2, headers=hdr), 201, 'the same key at another shop')
    check(o2['id'] != first.body['id'], 'another shop gets its own order')

    # external_id is unique per shop.
    dup = body.replace('12.000000', '14.000000')
    expect_error(d.post('/v1/orders', dup, shop, headers={'Idempotency-Key': 'key-2'}), 409,
                 'duplicate_external_id', 'an external_id repeated with another key')
    expect_error(d.post('/v1/orders', dup, shop), 409, 'duplicate_external_id',
                 'an external_id repeated without a key')
    expect_error(d.post('/v1/orders', body.replace('idem-1', 'idem-x'), shop,
                        headers={'Idempotency-Key': 'k' * 256}), 400, None, 'a 256-character key')
    long_ok = d.post('/v1/orders', body.replace('idem-1', 'idem-255'), shop,
                     headers={'Idempotency-Key': 'k' * 255})
    expect_ok(long_ok, 201, 'a 255-character key')

    # 50 concurrent creates with one key: one order, the same answer for all.
    body50 = body.replace('idem-1', 'idem-50')
    results = barrier_all(50, lambda i: d.post('/v1/orders', body50, shop,
                                               headers={'Idempotency-Key': 'key-50'}))
    for r in results:
        check(not isinstance(r, Exception), 'every concurrent create got an answer', r)
    statuses = sorted(set(r.status for r in results))
    eq(statuses, [201], 'statuses of 50 concurrent creates with one key')
    eq(len(set(r.raw for r in results)), 1, '50 concurrent creates answer the same bytes')
    mine = [o for o in list_orders(d, shop) if o['external_id'] == 'idem-50']
    eq(len(mine), 1, 'orders created by 50 concurrent requests with one key')
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_hundred_concurrent_accepts, test_confirm_releases_once, test_idempotent_create])
