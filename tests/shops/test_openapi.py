# Keeps the OpenAPI document true: every route the server answers is in it
# (and nothing else), each documented path answers exactly its documented
# methods, and every request example in it is accepted by the server.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shoplib  # noqa: E402,F401  (puts tests/platform on sys.path)
from harness import PLATFORM, Feed, World, check, customer_token, eq, run  # noqa: E402

SRCDIR = os.environ.get('USDTPAY_SRCDIR', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')


def routes():
    p = subprocess.run([PLATFORM, 'routes'], capture_output=True, text=True, timeout=30)
    eq(p.returncode, 0, 'usdtpay-platform routes')
    table = set()
    for line in p.stdout.splitlines():
        method, path = line.split(' ', 1)
        table.add((method, path))
    check(len(table) >= 25, 'the route table', table)
    return table


def example_of(operation):
    content = operation.get('requestBody', {}).get('content', {}).get('application/json', {})
    return content.get('example')


def test_document_matches_routes(d):
    table = routes()
    d.start()
    r = d.get('/v1/openapi.json')
    eq(r.status, 200, 'GET /v1/openapi.json')
    check(r.headers['content-type'].startswith('application/json'), 'JSON')
    with open(os.path.join(SRCDIR, 'data', 'openapi.json'), 'rb') as f:
        eq(r.body, json.loads(f.read()), 'the served document is data/openapi.json')
    doc = r.body
    check(doc['openapi'].startswith('3.'), 'OpenAPI 3', doc['openapi'])

    documented = {(m.upper(), p) for p, item in doc['paths'].items() for m in item if m in METHODS}
    eq(sorted(table - documented), [], 'routes the server answers but the document lacks')
    eq(sorted(documented - table), [], 'documented operations the server does not answer')

    # The router's own words: every path segment the sources compare against,
    # every order action and every path a handler is registered for, belongs
    # to a route in the table, so a route added to the router alone fails here.
    segments = {seg for _, path in table for seg in path.strip('/').split('/')}
    platform_src = os.path.join(SRCDIR, 'src', 'platform')
    words = set()
    for name in sorted(os.listdir(platform_src)):
        if name.endswith('.c'):
            with open(os.path.join(platform_src, name)) as f:
                text = f.read()
            words |= set(re.findall(r'parts\[\d\], "([^"]+)"', text))
            words |= set(re.findall(r'\{ "([a-z]+)", USDTPAY_ACTION_', text))
            for path in re.findall(r'soup_server_add_(?:websocket_)?handler \(self->soup, "([^"]+)"', text):
                check(any(p == path for _, p in table), 'the handler path %s is in the route table' % path)
    check(len(words) >= 20, "the router's path words were found", sorted(words))
    eq(sorted(words - segments), [], "path words of the router that no route in the table has")

    # Every schema reference resolves.
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        check(ref in doc['components']['schemas'], 'the schema %s exists' % ref)

    # Each path answers exactly its methods: any other gets 405 with Allow.
    by_path = {}
    for method, path in table:
        by_path.setdefault(path, set()).add(method)
    for path, methods in sorted(by_path.items()):
        if path == '/v1/feed':
            continue  # a WebSocket endpoint
        concrete = path.replace('{id}', 'ord_0123456789abcdefghjk').replace('{name}', 'alice')
        r = d.request('PUT', concrete)
        eq(r.status, 405, 'PUT %s' % path)
        allowed = {m.strip() for m in r.headers.get('allow', '').split(',') if m.strip()} - {'HEAD'}
        eq(allowed, methods, 'Allow on %s' % path)
    d.stop()


def test_examples_are_accepted(d):
    doc = json.load(open(os.path.join(SRCDIR, 'data', 'openapi.json')))
    examples = {(m.upper(), p): example_of(op) for p, item in doc['paths'].items()
                for m, op in item.items() if m in METHODS and example_of(op) is not None}
    login = examples[('POST', '/v1/sessions')]
    d.add_merchant(login['username'], login['password'])
    w = World(d, merchants=(), support=True)
    d.credit(login['username'], '100000')
    alice = d.login(login['username'], login['password'])
    tried = set()

    def send(method, template, path, token, expect):
        r = d.request(method, path, examples[(method, template)], token)
        check(r.status == expect, 'the example of %s %s is accepted (%d expected)' % (method, template, expect),
              r.status, r.raw[:400])
        tried.add((method, template))
        return r.body

    # Merchant settings, as documented, with auto-matching on.
    send('PATCH', '/v1/merchants/me', '/v1/merchants/me', alice, 200)
    feed = Feed(d, alice, since=d.head())
    feed.wait_caught_up()

    def matched_order():
        order = d.create_order(w.shop_key)
        deadline = time.monotonic() + 10
        while d.order(order['id'], w.shop_key)['state'] != 'matched':
            check(time.monotonic() < deadline, 'the order is matched')
            time.sleep(0.05)
        return order

    created = send('POST', '/v1/orders', '/v1/orders', w.shop_key, 201)
    check(created['external_id'] == examples[('POST', '/v1/orders')]['external_id'], 'the example order')
    order = matched_order()
    t = customer_token(order)
    send('POST', '/v1/orders/{id}/paid', '/v1/orders/%s/paid' % order['id'], t, 200)
    send('POST', '/v1/orders/{id}/dispute', '/v1/orders/%s/dispute' % order['id'], t, 200)
    send('POST', '/v1/orders/{id}/resolve', '/v1/orders/%s/resolve' % order['id'], w.support, 200)

    order = matched_order()
    d.action(order['id'], 'paid', customer_token(order), {'payer_name': 'Li Si'})
    send('POST', '/v1/orders/{id}/confirm', '/v1/orders/%s/confirm' % order['id'], alice, 200)

    order = matched_order()
    send('POST', '/v1/orders/{id}/cancel', '/v1/orders/%s/cancel' % order['id'], w.shop_key, 200)

    d.merchant_settings(alice, auto_match=False)
    order = d.create_order(w.shop_key)
    feed.wait_order_event('order.offered', order['id'])
    send('POST', '/v1/orders/{id}/accept', '/v1/orders/%s/accept' % order['id'], alice, 200)

    send('POST', '/v1/merchants/{name}/suspend', '/v1/merchants/%s/suspend' % login['username'], w.support, 200)
    send('POST', '/v1/merchants/{name}/unsuspend', '/v1/merchants/%s/unsuspend' % login['username'], w.support,
         200)
    send('POST', '/v1/dev/clock', '/v1/dev/clock', None, 200)

    shop = send('PATCH', '/v1/shops/me', '/v1/shops/me', w.shop_key, 200)
    check(shop.get('webhook_secret'), 'the secret', shop)
    d.create_order(w.shop_key)
    items = shoplib.wait_deliveries(d, w.shop_key, lambda it: len(it) >= 1, what='a delivery')
    send('POST', '/v1/webhook-deliveries/{id}/redeliver', '/v1/webhook-deliveries/%d/redeliver' % items[0]['id'],
         w.shop_key, 202)
    d.patch('/v1/shops/me', {'webhook_url': None}, w.shop_key)

    send('POST', '/v1/sessions', '/v1/sessions', None, 200)
    eq(sorted(set(examples) - tried), [], 'request examples not tried')
    feed.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_document_matches_routes, test_examples_are_accepted])
