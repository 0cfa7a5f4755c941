# Retention against the real daemon: idempotency answers leave the database
# 25 h after they were made (the key is honoured for 24 h), finished webhook
# deliveries and their attempts after --webhook-retention days, pending ones
# never, expired sessions once expired, and a large purge goes through the
# writer in small batches. Time is
# the dev clock; the database is read with sqlite3, read-only, between passes.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'shops'))

from harness import CUSTOMER, PLATFORM, check, eq, expect_error, expect_ok, run  # noqa: E402
from shoplib import Receiver, deliveries, set_webhook, wait_deliveries  # noqa: E402

# The daemon logs every retention batch and pass at debug level.
os.environ['G_MESSAGES_DEBUG'] = 'usdtpay-retention'

INTERVAL_MS = 200
HOUR = 3600
DAY = 24 * HOUR
CHUNK_ROWS = 1000
CHUNK_PAUSE_MS = 100

PASS_RE = re.compile(r'Retention pass done: ')
CHUNK_RE = re.compile(r'usdtpay-retention-DEBUG: (\d\d):(\d\d):(\d\d)\.(\d{3}): '
                      r'Purged (\d+) (idempotency answers|webhook deliveries) \((\d+) rows\) in ([0-9.]+) ms')


def log_text(d):
    with open(d.log_path, errors='replace') as f:
        return f.read()


def passes(d):
    return len(PASS_RE.findall(log_text(d)))


def wait_passes(d, n=2, timeout=60):
    """Waits for n more whole passes, so at least one began after whatever
    the test did last (a pass takes its cutoff when it begins)."""
    start = passes(d)
    deadline = time.monotonic() + timeout
    while passes(d) < start + n:
        check(d.alive(), 'the daemon is running', d.log_tail())
        check(time.monotonic() < deadline, '%d retention passes within %ds' % (n, timeout), d.log_tail())
        time.sleep(0.05)


def db(d):
    return sqlite3.connect('file:%s?mode=ro' % d.db, uri=True)


def query(d, sql, *args):
    conn = db(d)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def keys_on_disk(d, shop):
    return {k for (k,) in query(d, 'SELECT key FROM idempotency WHERE shop = ?', shop)}


def order_body(external_id, amount='25.000000'):
    return json.dumps({'amount': amount, 'fiat_amount': '180.00', 'fiat_currency': 'CNY', 'method': 'bank',
                       'external_id': external_id}, separators=(',', ':')).encode()


def create(d, shop_key, key, body):
    return d.post('/v1/orders', body, shop_key, headers={'Idempotency-Key': key})


def count_orders(d):
    return query(d, 'SELECT count(*) FROM orders')[0][0]


def test_idempotency_keys_expire_and_leave(d):
    d.serve_args = ['--retention-interval-ms', str(INTERVAL_MS)]
    shop_key = d.add_shop('shop1')
    d.start()

    body_a, body_b = order_body('ret-a'), order_body('ret-b')
    first_a = create(d, shop_key, 'key-a', body_a)
    expect_ok(first_a, 201, 'create with key-a')
    expect_ok(create(d, shop_key, 'key-b', body_b), 201, 'create with key-b')

    # 23 h 59 min later, with passes run since: the answer is replayed byte
    # for byte from the store.
    d.advance_clock(23 * HOUR + 59 * 60)
    wait_passes(d)
    eq(keys_on_disk(d, 'shop1'), {'key-a', 'key-b'}, 'keys on disk at 23:59 h')
    replay = create(d, shop_key, 'key-a', body_a)
    eq((replay.status, replay.raw), (201, first_a.raw), 'a retry at 23:59 h replays the first answer')
    eq(replay.headers.get('idempotent-replayed'), 'true', 'Idempotent-Replayed on the replay')
    expect_error(create(d, shop_key, 'key-a', order_body('ret-other')), 409, 'idempotency_key_reused',
                 'key-a with another body at 23:59 h')
    body_c = order_body('ret-c')
    first_c = create(d, shop_key, 'key-c', body_c)
    expect_ok(first_c, 201, 'create with key-c at 23:59 h')

    # 24 h 1 min: the server no longer honours key-a and key-b, their rows
    # stay for the hour's margin.
    d.advance_clock(2 * 60)
    wait_passes(d)
    eq(keys_on_disk(d, 'shop1'), {'key-a', 'key-b', 'key-c'}, 'keys on disk at 24:01 h (the margin)')

    # 25 h 1 min: key-a and key-b are gone from the database, key-c (1 h 2 min
    # old) stays and still replays.
    d.advance_clock(HOUR)
    wait_passes(d)
    eq(keys_on_disk(d, 'shop1'), {'key-c'}, 'keys on disk at 25:01 h')
    replay = create(d, shop_key, 'key-c', body_c)
    eq((replay.status, replay.raw), (201, first_c.raw), 'key-c still replays')

    # A retry with a purged key is a new request. Its external_id is taken
    # (unique per shop), so it is refused 409 duplicate_external_id and
    # creates nothing; that answer is kept under the key for the next 24 h.
    orders = count_orders(d)
    late = create(d, shop_key, 'key-a', body_a)
    expect_error(late, 409, 'duplicate_external_id', 'a retry after the purge')
    check('idempotent-replayed' not in late.headers, 'it is not a replay', late.headers)
    again = create(d, shop_key, 'key-a', body_a)
    eq((again.status, again.raw), (409, late.raw), 'the 409 is now the answer kept for key-a')
    eq(again.headers.get('idempotent-replayed'), 'true', 'and is replayed')
    eq(count_orders(d), orders, 'orders after retries with the expired key')
    # The purged key-b is free: a new body under it is a new order.
    fresh = create(d, shop_key, 'key-b', order_body('ret-d'))
    expect_ok(fresh, 201, 'key-b reused with a new body after the purge')
    eq(count_orders(d), orders + 1, 'orders after reusing key-b')

    # A restart loads the keys younger than 24 h: key-c, key-a (now its 409)
    # and key-b (now ret-d) replay as before.
    d.restart()
    replay = create(d, shop_key, 'key-c', body_c)
    eq((replay.status, replay.raw), (201, first_c.raw), 'key-c replays after a restart')
    replay = create(d, shop_key, 'key-b', order_body('ret-d'))
    eq((replay.status, replay.raw), (201, fresh.raw), 'key-b replays its new answer after a restart')
    d.stop()
    d.assert_check_clean()


def create_and_cancel(d, shop_key, external_id):
    order = d.create_order(shop_key, external_id=external_id)
    d.action(order['id'], 'cancel', shop_key)
    return order['id']


def delivery_ids(d, shop_key):
    return sorted(i['id'] for i in deliveries(d, shop_key, limit=200)['items'])


def on_disk(d, ids):
    """{id: (state, attempt rows)} of the deliveries among ids still stored."""
    marks = ','.join('?' * len(ids))
    rows = query(d, 'SELECT id, state FROM webhook_deliveries WHERE id IN (%s)' % marks, *ids)
    attempts = dict(query(d, 'SELECT delivery_id, count(*) FROM webhook_attempts WHERE delivery_id IN (%s)'
                             ' GROUP BY delivery_id' % marks, *ids))
    return {i: (state, attempts.get(i, 0)) for i, state in rows}


def test_finished_webhook_deliveries_leave(d):
    d.serve_args = ['--retention-interval-ms', str(INTERVAL_MS), '--webhook-retry-base-ms', '50']
    ok = Receiver(lambda event_id, n: 200)
    redirect = Receiver(lambda event_id, n: (302, {'Location': 'http://127.0.0.1:9/'}))
    busy = Receiver(lambda event_id, n: (503, {'Retry-After': '3600'}))
    try:
        keys = {name: d.add_shop(name) for name in ('ok', 'redirect', 'busy')}
        d.start()
        ok.secret = set_webhook(d, keys['ok'], ok.url)
        redirect.secret = set_webhook(d, keys['redirect'], redirect.url)
        busy.secret = set_webhook(d, keys['busy'], busy.url)

        # Day 0: delivered (ok), given up on a 3xx (redirect), and pending
        # with an attempt made (busy, whose URL is then removed: its
        # deliveries wait).
        for name in keys:
            create_and_cancel(d, keys[name], '%s-old' % name)
        old = {}
        old['ok'] = wait_deliveries(d, keys['ok'], lambda it: len(it) == 2 and all(
            i['state'] == 'delivered' for i in it), what='two delivered')
        old['redirect'] = wait_deliveries(d, keys['redirect'], lambda it: len(it) == 2 and all(
            i['state'] == 'failed' for i in it), what='two given up')
        old['busy'] = wait_deliveries(d, keys['busy'], lambda it: len(it) == 2 and all(
            i['state'] == 'pending' and len(i['attempts']) == 1 for i in it), what='two pending, tried once')
        eq(d.patch('/v1/shops/me', {'webhook_url': None}, keys['busy']).status, 200, 'remove busy URL')
        old_ids = {name: sorted(i['id'] for i in items) for name, items in old.items()}
        all_old = sum(old_ids.values(), [])
        before = on_disk(d, all_old)
        eq(len(before), 6, 'six deliveries stored')
        check(all(n == 1 for _, n in before.values()), 'each with its attempt', before)

        # Day 29: nothing is old enough yet.
        d.advance_clock(29 * DAY)
        wait_passes(d)
        eq(on_disk(d, all_old), before, 'deliveries on day 29')

        # Day 29 too: recent finished deliveries.
        for name in ('ok', 'redirect'):
            create_and_cancel(d, keys[name], '%s-new' % name)
        new_ok = wait_deliveries(d, keys['ok'], lambda it: len(it) == 4 and all(
            i['state'] == 'delivered' for i in it), what='four delivered')
        new_redirect = wait_deliveries(d, keys['redirect'], lambda it: len(it) == 4 and all(
            i['state'] == 'failed' for i in it), what='four given up')
        new_ids = {'ok': sorted(set(i['id'] for i in new_ok) - set(old_ids['ok'])),
                   'redirect': sorted(set(i['id'] for i in new_redirect) - set(old_ids['redirect']))}

        # Day 31: the deliveries finished on day 0 are gone with their
        # attempts; those of day 29 and the pending ones stay, in the
        # database and in the API.
        d.advance_clock(2 * DAY)
        wait_passes(d)
        stored = on_disk(d, all_old + new_ids['ok'] + new_ids['redirect'])
        eq(sorted(stored), sorted(old_ids['busy'] + new_ids['ok'] + new_ids['redirect']),
           'deliveries stored on day 31')
        eq(query(d, 'SELECT count(*) FROM webhook_attempts WHERE delivery_id IN (%s)'
                    % ','.join(map(str, old_ids['ok'] + old_ids['redirect'])))[0][0], 0,
           'attempts of the purged deliveries')
        check(all(stored[i] == ('pending', 1) for i in old_ids['busy']), 'the pending ones with their attempt',
              stored)
        check(all(stored[i][1] == 1 for i in new_ids['ok'] + new_ids['redirect']), 'recent ones with theirs',
              stored)
        eq(delivery_ids(d, keys['ok']), new_ids['ok'], 'ok lists its recent deliveries')
        eq(delivery_ids(d, keys['redirect']), new_ids['redirect'], 'redirect lists its recent deliveries')
        eq(delivery_ids(d, keys['busy']), old_ids['busy'], 'busy lists its pending deliveries')
        r = d.post('/v1/webhook-deliveries/%d/redeliver' % old_ids['ok'][0], None, keys['ok'])
        expect_error(r, 404, None, 'redeliver a purged delivery')

        # Day 61: every finished delivery is gone, the newest one included;
        # a restart loads the same lists and never reuses a delivery id.
        newest = max(new_ids['ok'] + new_ids['redirect'])
        d.advance_clock(30 * DAY)
        wait_passes(d)
        eq(query(d, "SELECT count(*) FROM webhook_deliveries WHERE state != 'pending'")[0][0], 0,
           'finished deliveries on day 61')
        eq(query(d, 'SELECT max(id) FROM webhook_deliveries')[0][0], max(old_ids['busy']),
           'the newest stored delivery is a pending one')
        d.restart()
        eq(delivery_ids(d, keys['ok']), [], 'ok lists nothing after a restart')
        eq(delivery_ids(d, keys['busy']), old_ids['busy'], 'busy lists its pending ones after a restart')
        create_and_cancel(d, keys['ok'], 'ok-after')
        after = wait_deliveries(d, keys['ok'], lambda it: len(it) == 2 and all(
            i['state'] == 'delivered' for i in it), what='two delivered after the restart')
        check(min(i['id'] for i in after) > newest, 'delivery ids continue after the purged newest one',
              [i['id'] for i in after], newest)
        eq(delivery_ids(d, keys['ok']), sorted(i['id'] for i in after), 'ok lists them')
        d.stop()
        d.assert_check_clean()
    finally:
        for rx in (ok, redirect, busy):
            rx.close()


def chunks(d):
    """[(seconds of the day, what, items, rows, ms)] of the batches that deleted something."""
    found = []
    for m in CHUNK_RE.finditer(log_text(d)):
        h, mi, s, ms, items, what, rows, took = m.groups()
        if int(rows) > 0:
            found.append((int(h) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1000, what, int(items), int(rows),
                          float(took)))
    return found


def simulate(d, shop_key, count):
    p = subprocess.run([CUSTOMER, '--platform', d.url, '--api-key', shop_key, '--count', str(count),
                        '--concurrency', '16', '--no-pay'], capture_output=True, text=True, timeout=600)
    eq(p.returncode, 0, 'the simulator exit status (stderr: %s)' % p.stderr[-1500:])
    report = dict(line.split('=', 1) for line in p.stdout.splitlines() if '=' in line)
    eq(report.get('lifecycle_count'), str(count), 'orders created')


def test_large_purge_in_small_batches(d):
    d.serve_args = ['--retention-interval-ms', str(INTERVAL_MS)]
    rx = Receiver(lambda event_id, n: 200)
    try:
        shop_key = d.add_shop('shop1')
        d.start()
        # 10,000 orders through the simulator, each with an idempotency key;
        # the first 1,500 with a webhook (a delivery and its attempt each).
        rx.secret = set_webhook(d, shop_key, rx.url)
        simulate(d, shop_key, 1500)
        deadline = time.monotonic() + 120
        while query(d, "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'")[0][0] > 0:
            check(time.monotonic() < deadline, 'every delivery made within 120 s')
            time.sleep(0.2)
        eq(d.patch('/v1/shops/me', {'webhook_url': None}, shop_key).status, 200, 'remove the URL')
        simulate(d, shop_key, 8500)
        eq(query(d, 'SELECT count(*) FROM idempotency')[0][0], 10000, 'idempotency rows')
        eq(query(d, 'SELECT count(*) FROM webhook_deliveries')[0][0], 1500, 'deliveries')
        eq(query(d, 'SELECT count(*) FROM webhook_attempts')[0][0], 1500, 'attempts')

        # 31 days on (the orders expire meanwhile: more deliveries? none, the
        # URL is gone), watch the counts between batches.
        d.advance_clock(31 * DAY)
        seen = set()
        deadline = time.monotonic() + 120
        while True:
            n = query(d, 'SELECT count(*) FROM idempotency')[0][0]
            seen.add(n)
            if n == 0 and query(d, 'SELECT count(*) FROM webhook_deliveries')[0][0] == 0:
                break
            check(time.monotonic() < deadline, 'the purge ends within 120 s', sorted(seen))
            time.sleep(0.01)
        wait_passes(d, 1)
        eq(query(d, 'SELECT count(*) FROM webhook_attempts')[0][0], 0, 'attempts left')

        found = chunks(d)
        idem = [c for c in found if c[1] == 'idempotency answers']
        hooks = [c for c in found if c[1] == 'webhook deliveries']
        eq(sum(c[3] for c in idem), 10000, 'idempotency rows purged in all')
        eq(sum(c[3] for c in hooks), 3000, 'delivery and attempt rows purged in all')
        eq(sum(c[2] for c in hooks), 1500, 'deliveries purged in all')
        check(all(c[3] <= CHUNK_ROWS for c in found), 'no batch deletes more than %d rows' % CHUNK_ROWS,
              [c[3] for c in found])
        check(len(idem) >= 10 and len(hooks) >= 3, 'the purge took many batches', len(idem), len(hooks))
        gaps = [b[0] - a[0] for a, b in zip(found, found[1:])]
        check(all(g >= (CHUNK_PAUSE_MS - 20) / 1000 for g in gaps), 'batches are spaced out', gaps)
        # Between two batches the database showed the counts in between.
        check(len([n for n in seen if 0 < n < 10000]) >= 3, 'intermediate counts seen between batches',
              sorted(seen))
        print('batches=%d max_batch_ms=%.2f mean_batch_ms=%.2f' % (
            len(found), max(c[4] for c in found), sum(c[4] for c in found) / len(found)))
        d.stop()
        d.assert_check_clean()
    finally:
        rx.close()


def test_options(d):
    p = subprocess.run([PLATFORM, 'serve', '--help'], capture_output=True, text=True, timeout=60)
    eq(p.returncode, 0, 'serve --help')
    check('--webhook-retention' in p.stdout and 'DAYS' in p.stdout, '--help documents --webhook-retention',
          p.stdout)
    for bad in (['--webhook-retention', '0'], ['--webhook-retention', '3651']):
        p = subprocess.run([PLATFORM, 'serve', '--db', d.db, '--dev', '--listen', '127.0.0.1:0'] + bad,
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 2, 'serve %s' % ' '.join(bad))
        check('--webhook-retention' in p.stderr, 'the message names the option', p.stderr)
    prod = os.path.join(d.dir, 'prod.db')
    p = subprocess.run([PLATFORM, 'serve', '--db', prod, '--listen', '127.0.0.1:0',
                        '--retention-interval-ms', '100'], capture_output=True, text=True, timeout=60)
    eq(p.returncode, 2, '--retention-interval-ms on a production database')
    check('dev databases only' in p.stderr, 'the message says why', p.stderr)
    # The purge's indexes exist (migration 5) and the schema is at 5 or later.
    d.serve_args = ['--webhook-retention', '7']
    d.start()
    d.stop()
    names = {n for (n,) in query(d, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    check({'idempotency_by_created', 'webhook_deliveries_finished', 'sessions_by_expiry'} <= names,
          'the retention indexes', names)


def session_rows(d, *tokens):
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
    rows = {h for (h,) in query(d, 'SELECT hash FROM sessions')}
    return [h in rows for h in hashes]


def test_expired_sessions_leave(d):
    d.serve_args = ['--retention-interval-ms', str(INTERVAL_MS)]
    d.add_merchant('alice')
    d.start()
    first = d.login('alice')
    d.advance_clock(6 * DAY)
    second = d.login('alice')
    wait_passes(d)
    eq(session_rows(d, first, second), [True, True], 'both sessions stored on day 6')

    # Day 7 and a minute: the first session has expired and is gone; the
    # second (a day old) stays and still works.
    d.advance_clock(DAY + 60)
    wait_passes(d)
    eq(session_rows(d, first, second), [False, True], 'sessions stored on day 7')
    expect_error(d.get('/v1/merchants/me', first), 401, None, 'the expired session')
    expect_ok(d.get('/v1/merchants/me', second), 200, 'the live session')
    d.restart()
    expect_ok(d.get('/v1/merchants/me', second), 200, 'the live session after a restart')
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_idempotency_keys_expire_and_leave, test_finished_webhook_deliveries_leave,
         test_large_purge_in_small_batches, test_options, test_expired_sessions_leave])
