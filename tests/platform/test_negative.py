# The negative matrix: malformed JSON, wrong types, oversized bodies, bad
# money strings, unknown ids, other principals' objects, wrong roles, no
# auth, and the check order 401 → 403 → 404 → 409. Each is answered with its
# status and `{"error":{"code","message"}}`, and nothing changes: the event
# log's head, every balance and the orders stay as they were, and
# `usdtpay-platform check` is clean afterwards.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import time

from harness import World, check, customer_token, eq, expect_error, run

UNKNOWN = 'ord_00000000000000000000'


def order_body(**over):
    b = {'amount': '10.000000', 'fiat_amount': '72.00', 'fiat_currency': 'CNY', 'method': 'bank',
         'external_id': 'neg-x'}
    b.update(over)
    return json.dumps(b, separators=(',', ':'))


def test_negative_matrix(d):
    w = World(d, merchants=('alice', 'bob'))
    shop2 = d.add_shop('shop2')
    alice, sue, shop = w.tokens['alice'], w.support, w.shop_key

    o = d.create_order(shop, amount='100.000000', external_id='neg-o')
    t = customer_token(o)
    for _ in range(100):
        if o['state'] == 'matched':
            break
        time.sleep(0.05)
        o = d.order(o['id'], shop)
    eq(o['state'], 'matched', 'the order is matched')
    mine = o['merchant']
    other = 'bob' if mine == 'alice' else 'alice'
    mtok, otok = w.tokens[mine], w.tokens[other]
    p = d.create_order(shop2, amount='50.000000', external_id='neg-p')

    before_head = d.head()
    before_accounts = d.accounts(sue)
    before_o = d.order(o['id'], shop)
    before_p = d.order(p['id'], shop2)

    good = order_body()
    cases = [
        # malformed JSON → 400
        ('comment', 'POST', '/v1/orders', good[:-1] + '/* c */}', shop, 400, 'malformed_json'),
        ('line comment', 'POST', '/v1/orders', good[:-1] + '\n// c\n}', shop, 400, 'malformed_json'),
        ('single quotes', 'POST', '/v1/orders', good.replace('"', "'"), shop, 400, 'malformed_json'),
        ('duplicate key', 'POST', '/v1/orders', good[:-1] + ',"amount":"20.000000"}', shop, 400, 'malformed_json'),
        ('leading zero', 'POST', '/v1/orders', good[:-1] + ',"n":01}', shop, 400, 'malformed_json'),
        ('trailing comma', 'POST', '/v1/orders', good[:-1] + ',}', shop, 400, 'malformed_json'),
        ('trailing comma in array', 'PATCH', '/v1/merchants/me',
         '{"methods":[{"id":"bank","account_name":"a","account_number":"1"},]}', alice, 400, 'malformed_json'),
        ('leading zero in cap', 'PATCH', '/v1/merchants/me', '{"cap":010}', alice, 400, 'malformed_json'),
        ('NUL escape', 'POST', '/v1/orders', order_body(customer_ref='a\u0000b'), shop, 400, 'malformed_json'),
        ('truncated', 'POST', '/v1/orders', good[:-5], shop, 400, 'malformed_json'),
        ('bytes after the value', 'POST', '/v1/orders', good + ' {}', shop, 400, 'malformed_json'),
        ('invalid UTF-8', 'POST', '/v1/orders', good.encode()[:-2] + b'\xff"}', shop, 400, 'malformed_json'),
        ('number overflow', 'POST', '/v1/orders', good[:-1] + ',"n":1e400}', shop, 400, 'malformed_json'),
        ('empty body', 'POST', '/v1/orders', '', shop, 400, None),
        ('not an object', 'POST', '/v1/orders', '[]', shop, 400, None),
        ('paid: comment', 'POST', '/v1/orders/%s/paid' % o['id'], '{"payer_name":"x"/**/}', t, 400,
         'malformed_json'),
        # wrong types and missing members → 400
        ('amount as number', 'POST', '/v1/orders', good.replace('"10.000000"', '10.0'), shop, 400, 'invalid_request'),
        ('amount as bool', 'POST', '/v1/orders', good.replace('"10.000000"', 'true'), shop, 400, 'invalid_request'),
        ('external_id as number', 'POST', '/v1/orders', good.replace('"neg-x"', '5'), shop, 400, 'invalid_request'),
        ('method null', 'POST', '/v1/orders', good.replace('"bank"', 'null'), shop, 400, 'invalid_request'),
        ('amount missing', 'POST', '/v1/orders', '{"fiat_amount":"72.00","fiat_currency":"CNY",'
         '"method":"bank","external_id":"neg-y"}', shop, 400, 'invalid_request'),
        ('unknown currency', 'POST', '/v1/orders', order_body(fiat_currency='XYZ'), shop, 400, None),
        ('fiat too many decimals', 'POST', '/v1/orders', order_body(fiat_amount='72.001'), shop, 400, None),
        ('payer_name as number', 'POST', '/v1/orders/%s/paid' % o['id'], '{"payer_name":1}', t, 400, 'invalid_request'),
        ('payer_name empty', 'POST', '/v1/orders/%s/paid' % o['id'], '{"payer_name":""}', t, 400, 'invalid_request'),
        ('payer_name too long', 'POST', '/v1/orders/%s/paid' % o['id'],
         json.dumps({'payer_name': 'x' * 201}), t, 400, 'invalid_request'),
        ('online as string', 'PATCH', '/v1/merchants/me', '{"online":"yes"}', alice, 400, 'invalid_request'),
        ('cap as string', 'PATCH', '/v1/merchants/me', '{"cap":"10"}', alice, 400, 'invalid_request'),
        ('cap negative', 'PATCH', '/v1/merchants/me', '{"cap":-1}', alice, 400, 'invalid_request'),
        ('min as number', 'PATCH', '/v1/merchants/me', '{"min":1}', alice, 400, 'invalid_request'),
        ('min above max', 'PATCH', '/v1/merchants/me', '{"min":"500.000000","max":"100.000000"}', alice, 400,
         None),
        ('clock as string', 'POST', '/v1/dev/clock', '{"advance_seconds":"10"}', None, 400, 'invalid_request'),
        # oversized → 413
        ('body over 64 KiB', 'POST', '/v1/orders', order_body(customer_ref='r' * (65 * 1024)), shop, 413,
         'payload_too_large'),
        ('body over 64 KiB, paid', 'POST', '/v1/orders/%s/paid' % o['id'],
         json.dumps({'payer_name': 'y' * (70 * 1024)}), t, 413, 'payload_too_large'),
    ]
    for i, bad in enumerate(['1e3', '+1', '1.0000001', ' 1', '1 ', '-1', '01', '', '1.', '.5', '0',
                             '0.000000', '1000000000.000001', '99999999999999999999', '1,5', '0x10', 'NaN']):
        cases.append(('money %r' % bad, 'POST', '/v1/orders', order_body(amount=bad, external_id='neg-m%d' % i),
                      shop, 400, 'invalid_amount'))
    for i, bad in enumerate(['1e3', '-1', '01', ' 1']):
        cases.append(('merchant min %r' % bad, 'PATCH', '/v1/merchants/me', json.dumps({'min': bad}), alice,
                      400, 'invalid_amount'))
    cases += [
        # no auth / bad auth → 401
        ('create without auth', 'POST', '/v1/orders', good, None, 401, 'unauthenticated'),
        ('create with a bogus key', 'POST', '/v1/orders', good, 'up_bogus', 401, 'unauthenticated'),
        ('GET order without auth', 'GET', '/v1/orders/%s' % o['id'], None, None, 401, 'unauthenticated'),
        ('GET order with a bogus session', 'GET', '/v1/orders/%s' % o['id'], None, 'us_bogus', 401,
         'unauthenticated'),
        ('confirm without auth', 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', None, 401, 'unauthenticated'),
        ('balances without auth', 'GET', '/v1/ledger/balances', None, None, 401, 'unauthenticated'),
        ('merchants/me without auth', 'GET', '/v1/merchants/me', None, None, 401, 'unauthenticated'),
        ('feed without auth', 'GET', '/v1/feed?since=0', None, None, 401, 'unauthenticated'),
        # wrong role → 403
        ('merchant creates an order', 'POST', '/v1/orders', good, alice, 403, 'forbidden'),
        ('support creates an order', 'POST', '/v1/orders', good, sue, 403, 'forbidden'),
        ('shop accepts', 'POST', '/v1/orders/%s/accept' % o['id'], '{}', shop, 403, 'forbidden'),
        ('shop confirms', 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', shop, 403, 'forbidden'),
        ('customer confirms', 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', t, 403, 'forbidden'),
        ('merchant marks paid', 'POST', '/v1/orders/%s/paid' % o['id'], '{"payer_name":"x"}', mtok, 403,
         'forbidden'),
        ('merchant resolves', 'POST', '/v1/orders/%s/resolve' % o['id'],
         '{"outcome":"completed","reason":"x"}', mtok, 403, 'forbidden'),
        ('shop patches merchant settings', 'PATCH', '/v1/merchants/me', '{"online":false}', shop, 403,
         'forbidden'),
        ('merchant lists merchants', 'GET', '/v1/merchants', None, alice, 403, 'forbidden'),
        ('merchant suspends', 'POST', '/v1/merchants/bob/suspend', '{"reason":"x"}', alice, 403, 'forbidden'),
        # unknown ids → 404
        ('unknown order', 'GET', '/v1/orders/%s' % UNKNOWN, None, shop, 404, 'not_found'),
        ('unknown order, support', 'GET', '/v1/orders/%s' % UNKNOWN, None, sue, 404, 'not_found'),
        ('accept unknown', 'POST', '/v1/orders/%s/accept' % UNKNOWN, '{}', alice, 404, 'not_found'),
        ('malformed id', 'GET', '/v1/orders/not-an-id', None, shop, 404, 'not_found'),
        ('unknown receipt', 'GET', '/v1/receipts/%s' % UNKNOWN, None, shop, 404, 'not_found'),
        ('unknown route', 'GET', '/v1/nothing-here', None, shop, 404, None),
        # other principals' objects → 404
        ("another merchant's order", 'GET', '/v1/orders/%s' % o['id'], None, otok, 404, 'not_found'),
        ("another merchant confirms", 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', otok, 404, 'not_found'),
        ("another merchant disputes", 'POST', '/v1/orders/%s/dispute' % o['id'], '{}', otok, 404, 'not_found'),
        ("another shop's order", 'GET', '/v1/orders/%s' % o['id'], None, shop2, 404, 'not_found'),
        ("another shop cancels", 'POST', '/v1/orders/%s/cancel' % o['id'], '{}', shop2, 404, 'not_found'),
        ("another shop's qr", 'GET', '/v1/orders/%s/qr.png' % o['id'], None, shop2, 404, 'not_found'),
        ("another shop's receipt", 'GET', '/v1/receipts/%s' % o['id'], None, shop2, 404, 'not_found'),
        # the check order: 401 before 403 before 404 before 409
        ('401 before 404', 'POST', '/v1/orders/%s/accept' % UNKNOWN, '{}', None, 401, 'unauthenticated'),
        ('401 before 400', 'POST', '/v1/orders', '{bad json', None, 401, 'unauthenticated'),
        ('401 before 403', 'POST', '/v1/orders/%s/resolve' % o['id'], '{}', 'us_bogus', 401, 'unauthenticated'),
        ('403 before 404', 'POST', '/v1/orders/%s/accept' % UNKNOWN, '{}', shop, 403, 'forbidden'),
        ('403 before 404 (other shop)', 'POST', '/v1/orders/%s/accept' % p['id'], '{}', shop, 403, 'forbidden'),
        ('404 before 409', 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', otok, 404, 'not_found'),
        ('409 for the owner', 'POST', '/v1/orders/%s/confirm' % o['id'], '{}', mtok, 409, 'illegal_transition'),
        ('a merchant cancels (customer or shop only)', 'POST', '/v1/orders/%s/cancel' % o['id'], '{}', mtok,
         403, 'forbidden'),
    ]

    failures = []
    for label, method, path, body, token, status, code in cases:
        r = d.request(method, path, body, token)
        try:
            expect_error(r, status, code, label)
        except AssertionError as e:
            failures.append(str(e))
    check(not failures, '%d of %d negative cases answered wrongly' % (len(failures), len(cases)),
          '\n  ' + '\n  '.join(failures))

    eq(d.head(), before_head, 'the event log head after the negative matrix')
    eq(d.accounts(sue), before_accounts, 'every balance after the negative matrix')
    eq(d.order(o['id'], shop), before_o, 'order o after the negative matrix')
    eq(d.order(p['id'], shop2), before_p, 'order p after the negative matrix')
    w.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_negative_matrix])
