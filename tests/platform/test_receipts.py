# Signed receipts (docs/receipts.md): a completion and support resolutions
# are signed; receipts verify with PyNaCl (an independent Ed25519) and with
# usdtpay-receipt, and a tampered byte is refused by both; key rotation keeps
# old receipts valid and signs new ones with the new key; the key file is
# owner-only; support-only filters and the order history endpoint.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nacl.exceptions
import nacl.signing

from harness import (BUILDDIR, CheckFailed, World, check, customer_token, eq, expect_error,
                     expect_ok, run)

RECEIPT_TOOL = os.environ.get('USDTPAY_RECEIPT', os.path.join(BUILDDIR, 'src', 'tools', 'usdtpay-receipt'))
SERVE = ['--offer-seconds', '60', '--payment-minutes', '15', '--confirm-minutes', '30']
COLUMNS = ('id,created_at,completed_at,state,amount,fee,net,fiat_amount,fiat_currency,method,'
           'merchant,shop,customer_ref,payer_name,seq,key_id,receipt,signature').split(',')
INJECTION = "=cmd|' /C calc'!A0"


# ---------------------------------------------------- an independent checker

def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()


def nacl_verify(public_hex, message, signature_hex):
    """True when PyNaCl accepts the signature."""
    try:
        nacl.signing.VerifyKey(bytes.fromhex(public_hex)).verify(message, bytes.fromhex(signature_hex))
        return True
    except nacl.exceptions.BadSignatureError:
        return False


def nacl_check_key_set(key_set):
    """The chain rules of docs/receipts.md, with PyNaCl."""
    keys = key_set['keys']
    check(len(keys) >= 1, 'the key set has a key', key_set)
    check(keys[0]['endorsement'] is None, 'the first key is not endorsed', keys[0])
    for prev, key in zip(keys, keys[1:]):
        text = canonical({'id': key['id'], 'public_key': key['public_key'],
                          'purpose': 'usdtpay-platform-key', 'valid_from': key['valid_from']})
        check(nacl_verify(prev['public_key'], text, key['endorsement']),
              'key %s is endorsed by %s (PyNaCl)' % (key['id'], prev['id']), key_set)
    for key in keys:
        eq(key['id'], key['public_key'][:16], 'a key id is its public key\'s first 16 hex digits')
    return {k['id']: k['public_key'] for k in keys}


def nacl_check_receipt(key_set, answer):
    keys = nacl_check_key_set(key_set)
    text = answer['receipt'].encode()
    receipt = json.loads(text)
    eq(canonical(receipt), text, 'the receipt is canonical JSON (sorted keys, no whitespace)')
    check(receipt['key_id'] in keys, 'the receipt names a key of the set', receipt)
    eq(answer['key_id'], receipt['key_id'], 'key_id beside the receipt')
    check(nacl_verify(keys[receipt['key_id']], text, answer['signature']),
          'PyNaCl verifies the receipt of %s' % receipt['id'], answer)
    return receipt


# ---------------------------------------------------- helpers

def tool(keys_path, path, stdin=None):
    p = subprocess.run([RECEIPT_TOOL, 'verify', '--keys', keys_path, path], capture_output=True,
                       text=True, input=stdin, timeout=60)
    return p.returncode, p.stdout + p.stderr


def write(d, name, text):
    path = os.path.join(d.dir, name)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)
    return path


def platform_keys(d):
    r = d.get('/v1/platform-keys')
    return expect_ok(r, 200, 'GET /v1/platform-keys (no auth)')


def receipt_of(d, order_id, token):
    return expect_ok(d.get('/v1/receipts/%s' % order_id, token), 200, 'GET /v1/receipts/%s' % order_id)


def completed_order(w, merchant, ext, customer_ref=None, payer='Payer Name'):
    d = w.d
    extra = {'customer_ref': customer_ref} if customer_ref is not None else {}
    order = d.create_order(w.shop_key, amount='123.450000', fiat_amount='888.88', external_id=ext, **extra)
    t = customer_token(order)
    eq(order['state'], 'matched', 'auto-matched')
    d.action(order['id'], 'paid', t, {'payer_name': payer})
    done = d.action(order['id'], 'confirm', w.tokens[merchant])
    eq(done['state'], 'completed', 'confirmed')
    return done


def disputed_order(w, merchant, ext):
    d = w.d
    order = d.create_order(w.shop_key, amount='10.000000', fiat_amount='72.00', external_id=ext)
    t = customer_token(order)
    d.action(order['id'], 'paid', t, {'payer_name': 'Disputer'})
    eq(d.action(order['id'], 'dispute', t, {'reason': 'not confirmed'})['state'], 'disputed', 'appealed')
    return order


def neutralise(cell):
    s = cell.lstrip("'")
    return "'" + cell if s[:1] in ('=', '+', '-', '@', '\t', '\r') and s != '' else cell


def csv_row(order, answer):
    receipt = json.loads(answer['receipt']) if answer else None
    cells = [order['id'], order['created_at'], order['completed_at'] or '', order['state'],
             order['amount'], order['fee'], order['net'], order['fiat_amount'], order['fiat_currency'],
             order['method'], order['merchant'] or '', order['shop'], order['customer_ref'] or '',
             order['payer_name'] or '',
             str(receipt['seq']) if receipt else '', answer['key_id'] if answer else '',
             answer['receipt'] if answer else '', answer['signature'] if answer else '']
    return [neutralise(c) for c in cells]


def export_csv(rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()


# ---------------------------------------------------- the tests

def test_receipts_sign_verify_rotate(d):
    d.serve_args = SERVE
    d.add_shop('shop2')
    w = World(d, merchants=('alice', 'bob'))
    alice, bob, sue = w.tokens['alice'], w.tokens['bob'], w.support
    shop2 = d.admin('add-key', 'shop2').stdout.strip()
    w.d.merchant_settings(bob, auto_match=False)

    # The key file: beside the database, owner-only, its seed never logged.
    key_path = d.db + '.signing-key'
    st = os.stat(key_path)
    eq(stat.S_IMODE(st.st_mode), 0o600, 'the key file is mode 0600')
    with open(key_path) as f:
        seed = json.load(f)['seed']

    # A completion.
    o1 = completed_order(w, 'alice', 'rc-1', customer_ref=INJECTION, payer='王小明, "Ming"')
    key_set = platform_keys(d)
    eq(len(key_set['keys']), 1, 'one key before any rotation')
    a1 = receipt_of(d, o1['id'], w.shop_key)
    eq(receipt_of(d, o1['id'], alice), a1, 'the merchant gets the same receipt')
    eq(receipt_of(d, o1['id'], sue), a1, 'support gets the same receipt')
    expect_error(d.get('/v1/receipts/%s' % o1['id'], bob), 404, 'not_found', 'another merchant')
    expect_error(d.get('/v1/receipts/%s' % o1['id'], shop2), 404, 'not_found', 'another shop')
    expect_error(d.get('/v1/receipts/%s' % o1['id']), 401, None, 'no token')
    expect_error(d.get('/v1/receipts/ord_00000000000000000000', sue), 404, 'not_found', 'an unknown order')

    r1 = nacl_check_receipt(key_set, a1)
    for field in ('id', 'amount', 'fee', 'net', 'fiat_amount', 'fiat_currency', 'method', 'shop',
                  'merchant', 'created_at', 'matched_at', 'paid_at', 'completed_at', 'state',
                  'customer_ref', 'payer_name'):
        eq(r1[field], o1[field], 'receipt %s' % field)
    eq(r1['event'], 'order.completed', 'the completing event')
    eq(a1['seq'], r1['seq'], 'seq beside the receipt')

    # The completing event's seq, from the order's history.
    history = expect_ok(d.get('/v1/orders/%s/events' % o1['id'], w.shop_key), 200, 'order events (shop)')
    types = [e['type'] for e in history['items']]
    eq(types[0], 'order.created', 'the history starts with the creation')
    check('order.paid' in types and types[-1] == 'order.completed', 'the history ends completed', types)
    eq(history['items'][-1]['seq'], r1['seq'], 'the receipt carries the completing event\'s seq')
    seqs = [e['seq'] for e in history['items']]
    eq(seqs, sorted(seqs), 'the history is in seq order')
    support_history = expect_ok(d.get('/v1/orders/%s/events' % o1['id'], sue), 200, 'order events (support)')
    check(len(support_history['items']) >= len(history['items']), 'support sees every event', support_history)
    expect_error(d.get('/v1/orders/%s/events' % o1['id'], bob), 404, 'not_found', 'events of another\'s order')
    expect_error(d.get('/v1/orders/%s/events' % o1['id'], shop2), 404, 'not_found', 'events, another shop')

    # Support resolutions, both ways.
    o2 = disputed_order(w, 'alice', 'rc-2')
    o3 = disputed_order(w, 'alice', 'rc-3')
    expect_error(d.get('/v1/receipts/%s' % o2['id'], sue), 404, 'not_found', 'a disputed order has no receipt')
    expect_ok(d.post('/v1/orders/%s/resolve' % o2['id'], {'outcome': 'completed', 'reason': 'slip ok'}, sue))
    expect_ok(d.post('/v1/orders/%s/resolve' % o3['id'], {'outcome': 'cancelled', 'reason': 'no money'}, sue))
    a2, a3 = receipt_of(d, o2['id'], sue), receipt_of(d, o3['id'], w.shop_key)
    r2, r3 = nacl_check_receipt(key_set, a2), nacl_check_receipt(key_set, a3)
    eq((r2['event'], r2['state']), ('order.resolved', 'completed'), 'resolved to completed')
    eq((r3['event'], r3['state'], r3['completed_at']), ('order.resolved', 'cancelled', None),
       'resolved to cancelled')
    h3 = expect_ok(d.get('/v1/orders/%s/events' % o3['id'], sue), 200, 'order events')
    last = h3['items'][-1]
    eq((last['type'], last['seq'], last['order'].get('reason'), last['order'].get('by')),
       ('order.resolved', r3['seq'], 'no money', 'sue'), 'the resolution with its reason, by whom')

    # usdtpay-receipt on single answers, a file and stdin.
    keys_path = write(d, 'keys1.json', json.dumps(key_set))
    for i, answer in enumerate((a1, a2, a3)):
        rc, out = tool(keys_path, write(d, 'r%d.json' % i, json.dumps(answer)))
        eq(rc, 0, 'usdtpay-receipt accepts receipt %d: %s' % (i, out))
    rc, out = tool(keys_path, '-', stdin=json.dumps(a1))
    eq(rc, 0, 'usdtpay-receipt reads stdin: %s' % out)

    # One changed byte anywhere in the text or signature: both refuse.
    text = a1['receipt']
    for pos in (0, text.index('123.45') + 2, len(text) // 2, len(text) - 2):
        ch = text[pos]
        bad = dict(a1, receipt=text[:pos] + ('1' if ch != '1' else '2') + text[pos + 1:])
        check(not nacl_verify(key_set['keys'][0]['public_key'], bad['receipt'].encode(), bad['signature']),
              'PyNaCl refuses a tampered receipt (byte %d)' % pos)
        rc, out = tool(keys_path, write(d, 'bad.json', json.dumps(bad)))
        eq(rc, 1, 'usdtpay-receipt refuses a tampered receipt (byte %d): %s' % (pos, out))
    sig = a1['signature']
    bad = dict(a1, signature=sig[:10] + ('0' if sig[10] != '0' else '1') + sig[11:])
    check(not nacl_verify(key_set['keys'][0]['public_key'], text.encode(), bad['signature']),
          'PyNaCl refuses a tampered signature')
    eq(tool(keys_path, write(d, 'bad.json', json.dumps(bad)))[0], 1, 'the tool refuses a tampered signature')

    # A CSV export (written here from docs/receipts.md), checked by the tool.
    orders = {o['id']: d.order(o['id'], sue) for o in (o1, o2, o3)}
    answers = {o1['id']: a1, o2['id']: a2, o3['id']: a3}
    pending = d.create_order(w.shop_key, amount='5.000000', fiat_amount='36.00', external_id='rc-open',
                             customer_ref='+1')
    orders[pending['id']] = d.order(pending['id'], sue)
    rows = [csv_row(orders[i], answers.get(i)) for i in orders]
    eq(rows[0][12], "'" + INJECTION, 'the injection is neutralised in the CSV')
    good_csv = export_csv(rows)
    csv_path = write(d, 'export.csv', good_csv)
    rc, out = tool(keys_path, csv_path)
    eq(rc, 0, 'usdtpay-receipt accepts the export: %s' % out)
    check('4 rows: 3 verified, 1 without a receipt, 0 failed' in out, 'the summary', out)
    # LF record ends read the same; a wrong header, a usage error and an empty file do not pass.
    eq(tool(keys_path, write(d, 'lf.csv', good_csv.replace('\r\n', '\n')))[0], 0, 'LF line ends')
    rc, out = tool(keys_path, write(d, 'hdr.csv', good_csv.replace('customer_ref', 'ref', 1)))
    check(rc == 1 and 'header' in out, 'a wrong header is refused', out)
    eq(tool(keys_path, write(d, 'empty.csv', ''))[0], 1, 'an empty file is refused')
    p = subprocess.run([RECEIPT_TOOL, 'verify', csv_path], capture_output=True, text=True, timeout=60)
    eq(p.returncode, 2, 'verify without --keys is a usage error')
    p = subprocess.run([RECEIPT_TOOL, 'check', '--keys', keys_path, csv_path], capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 2, 'an unknown command is a usage error')
    # Python's csv reads it back, and undoing neutralisation gives the orders.
    back = list(csv.reader(io.StringIO(good_csv, newline='')))
    eq(back[1][12][1:], INJECTION, 'read back, minus the apostrophe')

    def tampered(row_index, column, value):
        t = [list(r) for r in rows]
        t[row_index][COLUMNS.index(column)] = value
        return write(d, 'tampered.csv', export_csv(t))
    for row_index, column, value in ((0, 'amount', '123.460000'), (1, 'merchant', 'bob'),
                                     (2, 'state', 'completed'), (0, 'customer_ref', INJECTION),
                                     (1, 'seq', '1'), (2, 'signature', a1['signature']),
                                     (0, 'receipt', a1['receipt'].replace('"123.450000"', '"123.460000"')),
                                     (3, 'state', 'completed')):
        rc, out = tool(keys_path, tampered(row_index, column, value))
        eq(rc, 1, 'the tool refuses a CSV with %s changed in row %d: %s' % (column, row_index, out))
        check('line %d' % (row_index + 2) in out, 'the tool names the bad row (line %d)' % (row_index + 2), out)

    # Rotation through the running daemon: old receipts still verify, new ones use the new key.
    p = d.admin('rotate-signing-key')
    new_id = p.stdout.strip()
    key_set2 = platform_keys(d)
    eq([k['id'] for k in key_set2['keys']], [key_set['keys'][0]['id'], new_id], 'the key set after rotation')
    eq(key_set2['keys'][0]['valid_until'], key_set2['keys'][1]['valid_from'], 'the old key retires')
    nacl_check_key_set(key_set2)
    keys2_path = write(d, 'keys2.json', json.dumps(key_set2))
    for answer in (a1, a2, a3):
        nacl_check_receipt(key_set2, answer)
    eq(tool(keys2_path, csv_path)[0], 0, 'the old export verifies under the new key set')
    o4 = completed_order(w, 'alice', 'rc-4')
    a4 = receipt_of(d, o4['id'], alice)
    eq(nacl_check_receipt(key_set2, a4)['key_id'], new_id, 'a new receipt uses the new key')
    eq(tool(keys2_path, write(d, 'r4.json', json.dumps(a4)))[0], 0, 'the tool accepts it')
    eq(tool(keys_path, write(d, 'r4.json', json.dumps(a4)))[0], 1, 'the old key set does not know the new key')

    # A forged key set: the new key endorsed by nobody.
    forged = json.loads(json.dumps(key_set2))
    forged['keys'][1]['endorsement'] = forged['keys'][1]['endorsement'][::-1]
    rc, out = tool(write(d, 'forged.json', json.dumps(forged)), write(d, 'r4.json', json.dumps(a4)))
    eq(rc, 1, 'the tool refuses a key set whose chain is broken: %s' % out)

    # Restart: the same keys; the seed never reached the log.
    w.close()
    d.stop()
    with open(key_path) as f:
        check(json.load(f)['seed'] != seed, 'rotation replaced the seed in the key file')
    os.chmod(key_path, 0o644)
    try:
        d.start(timeout=10)
        started = True
    except Exception:
        started = False
    if started:
        d.stop()
    check(not started, 'the daemon refuses a key file readable by others')
    os.chmod(key_path, 0o600)
    d.start()
    eq(platform_keys(d), key_set2, 'the key set survives a restart')
    eq(receipt_of(d, o1['id'], sue), a1, 'receipts survive a restart')
    d.stop()
    with open(d.log_path) as f:
        log = f.read()
    check(seed not in log and seed.upper() not in log, 'the seed never appears in the log')
    check('readable or writable by others' in log, 'the refusal says why', log[-2000:])
    d.assert_check_clean()

    # `check` verifies every stored receipt and wants one for every completed order.
    db = sqlite3.connect(d.db)
    stored = db.execute('SELECT receipt FROM receipts WHERE order_id = ?', (o1['id'],)).fetchone()[0]
    db.execute('UPDATE receipts SET receipt = ? WHERE order_id = ?',
               (stored.replace('"123.450000"', '"123.460000"'), o1['id']))
    db.commit()
    rc, out = d.check_db()
    check(rc != 0 and ('receipt of %s' % o1['id']) in out, 'check catches a tampered stored receipt', out)
    db.execute('DELETE FROM receipts WHERE order_id = ?', (o1['id'],))
    db.commit()
    rc, out = d.check_db()
    check(rc != 0 and ('completed order %s has no receipt' % o1['id']) in out,
          'check catches a completed order without a receipt', out)
    db.close()


def test_support_filters(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice', 'bob'))
    alice, bob, sue = w.tokens['alice'], w.tokens['bob'], w.support
    mine = completed_order(w, 'alice', 'f-1')
    d.merchant_settings(alice, auto_match=False)
    theirs = completed_order(w, 'bob', 'f-2')

    # merchant= is the support desk's: merchants and shops get 403.
    expect_error(d.get('/v1/orders?merchant=alice', alice), 403, 'forbidden', 'a merchant filters by merchant')
    expect_error(d.get('/v1/orders?merchant=alice', w.shop_key), 403, 'forbidden', 'a shop filters by merchant')
    got = expect_ok(d.get('/v1/orders?merchant=alice', sue), 200, 'support filters by merchant')
    eq([o['id'] for o in got['items']], [mine['id']], 'only alice\'s orders')
    got = expect_ok(d.get('/v1/orders?merchant=bob&state=completed', sue), 200, 'merchant and state')
    eq([o['id'] for o in got['items']], [theirs['id']], 'only bob\'s completed orders')
    got = expect_ok(d.get('/v1/orders?merchant=nobody', sue), 200, 'an unknown merchant')
    eq(got['items'], [], 'nothing for an unknown merchant')

    # from= (inclusive) and to= (exclusive) on created_at, for everyone.
    t1, t2 = mine['created_at'], theirs['created_at']
    got = expect_ok(d.get('/v1/orders?from=%s' % t2, sue), 200, 'from')
    eq([o['id'] for o in got['items']], [theirs['id']], 'from is inclusive')
    got = expect_ok(d.get('/v1/orders?to=%s' % t2, sue), 200, 'to')
    eq([o['id'] for o in got['items']], [mine['id']], 'to is exclusive')
    got = expect_ok(d.get('/v1/orders?from=%s&to=%s' % (t1, t2), alice), 200, 'a merchant\'s date range')
    eq([o['id'] for o in got['items']], [mine['id']], 'a merchant may use a date range')
    got = expect_ok(d.get('/v1/orders?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00%2B08:00&limit=5', sue),
                    200, 'an empty range')
    eq(got['items'], [], 'nothing in 2000')
    for bad in ('from=yesterday', 'to=2026-13-01T00:00:00Z', 'from=2026-11-26'):
        expect_error(d.get('/v1/orders?%s' % bad, sue), 400, 'invalid_request', bad)

    # Pages of a filtered listing.
    for i in range(3):
        completed_order(w, 'bob', 'f-page-%d' % i)
    page = expect_ok(d.get('/v1/orders?merchant=bob&limit=2', sue), 200, 'page 1')
    eq(len(page['items']), 2, 'a full first page')
    page2 = expect_ok(d.get('/v1/orders?merchant=bob&limit=2&after=%s' % page['next'], sue), 200, 'page 2')
    ids = [o['id'] for o in page['items'] + page2['items']]
    eq(len(ids), 4, 'every order of bob\'s over two pages')
    check(all(o['merchant'] == 'bob' for o in page['items'] + page2['items']), 'only bob\'s', ids)
    eq(page2['next'], None, 'no third page')

    # Support-only actions refuse merchants and shops.
    expect_error(d.get('/v1/merchants', bob), 403, 'forbidden', 'a merchant lists merchants')
    expect_error(d.get('/v1/merchants', w.shop_key), 403, 'forbidden', 'a shop lists merchants')
    w.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_receipts_sign_verify_rotate, test_support_filters])
