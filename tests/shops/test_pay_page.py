# The customer's payment page and the POS QR code: headers, 404s, the QR
# images, and the whole flow in headless Chromium (pay_page.mjs).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import shutil
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import shoplib  # noqa: E402,F401  (puts tests/platform on sys.path)
from harness import (BUILDDIR, CheckFailed, World, check, customer_token, eq, expect_error,  # noqa: E402
                     run)

HERE = os.path.dirname(os.path.abspath(__file__))
METHOD_QR = 'https://qr.alipay.com/fkx19090wnxaumygxnbiw1f'


def png_pixels(data):
    """(width, height, rows of grey bytes) of an 8-bit greyscale PNG."""
    check(data[:8] == b'\x89PNG\r\n\x1a\n', 'a PNG signature', data[:16])
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])[0]
        eq(zlib.crc32(kind + chunk) & 0xffffffff, crc, 'the %s chunk CRC' % kind)
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    width, height, depth, colour = header[:4]
    eq((depth, colour), (8, 0), '8-bit greyscale')
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(width)
    for y in range(height):
        f = raw[y * (width + 1)]
        line = bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):
            a = line[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xff
            elif f == 2:
                line[x] = (line[x] + b) & 0xff
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def check_qr_png(data, what):
    """A QR symbol: square, a whole number of modules of a valid version,
    light quiet zone, and the three finder patterns."""
    width, height, rows = png_pixels(data)
    eq(width, height, '%s is square' % what)
    scale = 8
    modules = width // scale
    check(width % scale == 0 and (modules - 8 - 17) % 4 == 0 and modules - 8 >= 21,
          '%s has the size of a QR version' % what, width)
    n = modules - 8

    def dark(mx, my):
        return rows[(my + 4) * scale + scale // 2][(mx + 4) * scale + scale // 2] < 128

    check(not any(rows[y][x] < 128 for y in range(4 * scale) for x in range(width)), '%s: quiet zone' % what)
    for ox, oy in ((0, 0), (n - 7, 0), (0, n - 7)):
        ring = all(dark(ox + i, oy) and dark(ox + i, oy + 6) and dark(ox, oy + i) and dark(ox + 6, oy + i)
                   for i in range(7))
        gap = not any(dark(ox + 1 + i, oy + 1) or dark(ox + 1 + i, oy + 5) for i in range(5))
        core = all(dark(ox + 2 + i, oy + 2 + j) for i in range(3) for j in range(3))
        check(ring and gap and core, '%s: a finder pattern at (%d, %d)' % (what, ox, oy))
    return n


def test_pay_page_flow_in_chromium(d):
    w = World(d, merchants=('alice',), online=False)
    alice = w.tokens['alice']
    w.go_online('alice', methods=[{'id': 'alipay', 'account_name': 'Alice Example',
                                   'account_number': 'alice@example.com', 'qr': METHOD_QR}])
    order = d.create_order(w.shop_key, external_id='page-1', method='alipay',
                           return_url='https://shop.example.com/thanks/page-1')
    t = customer_token(order)
    pay_url = order['pay_url']
    path = urllib.parse.urlparse(pay_url).path
    deadline = time.monotonic() + 10
    while d.order(order['id'], w.shop_key)['state'] != 'matched':
        check(time.monotonic() < deadline, 'the order is matched')
        time.sleep(0.05)

    # Headers of the page.
    r = d.get(path + '?t=' + t)
    eq(r.status, 200, 'the page')
    check(r.headers['content-type'].startswith('text/html'), 'HTML', r.headers)
    csp = r.headers.get('content-security-policy', '')
    check("default-src 'none'" in csp and "connect-src 'self'" in csp and "script-src 'nonce-" in csp
          and "'unsafe-inline'" not in csp, 'a strict CSP', csp)
    nonce = csp.split("script-src 'nonce-")[1].split("'")[0]
    html = r.raw.decode()
    check('<script nonce="%s">' % nonce in html and '<style nonce="%s">' % nonce in html,
          'the script and style carry the nonce')
    check('{{NONCE}}' not in html and 'src="http' not in html and 'href="http' not in html,
          'no outside assets, no placeholders left')
    eq(r.headers.get('x-content-type-options'), 'nosniff', 'nosniff')
    eq(r.headers.get('referrer-policy'), 'no-referrer', 'Referrer-Policy')
    eq(r.headers.get('cache-control'), 'no-store', 'Cache-Control')
    check(t not in html, 'the page does not echo the token')
    r2 = d.get(path + '?t=' + t)
    check(r2.headers['content-security-policy'] != csp, 'a fresh nonce per answer')

    # Wrong or missing tokens: a plain 404 page.
    other = d.create_order(w.shop_key, external_id='page-2')
    for bad in ('', '?t=', '?t=' + t[:-2] + 'AA', '?t=' + customer_token(other), '?t=%s&x=1' % t[::-1]):
        r = d.get(path + bad)
        eq(r.status, 404, 'GET %s' % bad)
        check(r.headers['content-type'].startswith('text/html') and b'Not found' in r.raw, 'a plain 404 page')
        check(b'<script' not in r.raw, 'without scripts')
    eq(d.get('/pay/ord_00000000000000000000?t=' + t).status, 404, 'another order id')
    eq(d.get('/pay/').status, 404, '/pay/')
    eq(d.request('POST', path + '?t=' + t, {}).status, 405, 'POST to the page')

    # The merchant's payment QR for the customer, and the POS QR for the shop.
    r = d.get('/pay/%s/method-qr.png?t=%s' % (order['id'], t))
    eq((r.status, r.headers.get('content-type')), (200, 'image/png'), "the merchant's QR")
    check_qr_png(r.raw, "the merchant's QR")
    eq(d.get('/pay/%s/method-qr.png?t=%s' % (other['id'], customer_token(other))).status, 404,
       'no merchant QR before matching')
    r = d.get('/v1/orders/%s/qr.png' % order['id'], w.shop_key)
    eq((r.status, r.headers.get('content-type')), (200, 'image/png'), 'GET /v1/orders/{id}/qr.png')
    n = check_qr_png(r.raw, 'the pay_url QR')
    check(n >= 25, 'a QR large enough for pay_url', n)
    shop2 = d.add_shop('shop2')
    expect_error(d.get('/v1/orders/%s/qr.png' % order['id'], shop2), 404, 'not_found', 'another shop')
    expect_error(d.get('/v1/orders/%s/qr.png' % order['id'], alice), 404, 'not_found', 'the merchant')
    expect_error(d.get('/v1/orders/%s/qr.png' % order['id'], w.support), 404, 'not_found', 'support')
    expect_error(d.get('/v1/orders/%s/qr.png' % order['id'], t), 401, 'unauthenticated', 'the customer token')
    expect_error(d.get('/v1/orders/%s/qr.png' % order['id']), 401, 'unauthenticated', 'no token')
    expect_error(d.get('/v1/orders/ord_00000000000000000000/qr.png', w.shop_key), 404, 'not_found',
                 'an unknown order')
    expect_error(d.post('/v1/orders/%s/qr.png' % order['id'], {}, w.shop_key), 405, None, 'POST qr.png')

    # The flow in Chromium.
    shots = os.path.join(BUILDDIR, 'meson-logs', 'pay-page')
    os.makedirs(shots, exist_ok=True)
    to_cancel = d.create_order(w.shop_key, external_id='page-cancel', method='alipay')
    to_appeal = d.create_order(w.shop_key, external_id='page-appeal', method='alipay')
    for o in (to_cancel, to_appeal):
        deadline = time.monotonic() + 10
        while d.order(o['id'], w.shop_key)['state'] != 'matched':
            check(time.monotonic() < deadline, 'the order is matched')
            time.sleep(0.05)
    env = dict(os.environ, PAY_URL=pay_url, API=d.url, MERCHANT_TOKEN=alice, ORDER_ID=order['id'],
               SHOT_DIR=shots, CANCEL_URL=to_cancel['pay_url'], APPEAL_URL=to_appeal['pay_url'])
    node = shutil.which('node')
    check(node is not None, 'node is installed (build-aux/install-npm-deps)')
    p = subprocess.run([node, os.path.join(HERE, 'pay_page.mjs')], env=env, capture_output=True, text=True,
                       timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
    if p.returncode != 0 or not lines:
        raise CheckFailed('the browser flow failed (exit %d): %s %s' % (p.returncode, p.stdout[-3000:],
                                                                      p.stderr[-3000:]))
    seen = json.loads(lines[-1])
    m = seen['matched']
    eq(m['fiat'], '720.00 CNY', 'the amount and currency to pay')
    eq((m['accountName'], m['accountNumber']), ('Alice Example', 'alice@example.com'), "the merchant's details")
    check(m['deadlineShown'] and ':' in m['countdown'] and m['countdown'] != '0:00', 'a countdown', m)
    check(m['paidButton'] and m['cancelButton'] and not m['appealButton'], 'matched: paid and cancel', m)
    check(seen['qrWidth'] > 100, 'the QR image loaded', seen['qrWidth'])
    check(seen['paid']['appealButton'] and not seen['paid']['paidButton'] and not seen['paid']['cancelButton'],
          'paid: appeal only', seen['paid'])
    eq(seen['confirmStatus'], 200, 'the merchant confirmed')
    c = seen['completed']
    check(c['returnShown'] and c['returnHref'] == 'https://shop.example.com/thanks/page-1',
          'the return_url after completion', c)
    check(not c['actionsShown'] and not c['detailsShown'], 'no actions or details once completed', c)
    eq(seen['outside'], [], 'no request left the platform')
    for name in ('pay-page-1-matched.png', 'pay-page-3-paid.png', 'pay-page-4-completed.png'):
        check(os.path.getsize(os.path.join(shots, name)) > 5000, 'screenshot %s saved' % name)

    check(seen.get('cancelled') and seen.get('appealed'), 'the cancel and appeal flows ran', seen)
    eq(d.order(to_cancel['id'], w.shop_key)['state'], 'cancelled', 'cancelled from the page')
    appealed = d.order(to_appeal['id'], w.shop_key)
    eq((appealed['state'], appealed['payer_name']), ('disputed', 'Wang Wu'), 'paid, then appealed from the page')
    final = d.order(order['id'], w.shop_key)
    eq((final['state'], final['payer_name']), ('completed', 'Zhang San'), 'the order completed, paid by the page')
    w.close()
    d.stop()
    check(t not in d.log_tail(10 ** 7), 'the token never reached the log')
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_pay_page_flow_in_chromium])
