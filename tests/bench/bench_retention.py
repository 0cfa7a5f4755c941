# The retention benchmark: does purging a backlog slow the requests down?
#
# Each round runs the same lifecycle load (usdtpay-customer, auto-matching
# merchants, fixed concurrency) twice on fresh temp databases (fsync on):
# once with nothing to purge, once while the daemon deletes a backlog of old
# idempotency answers and finished webhook deliveries with their attempts
# (written into the database with sqlite3 before the daemon starts, aged past
# their horizons). Rounds alternate the two so a neighbour's load on the
# shared cores hits both alike. Prints name=value lines: the request
# percentiles and lifecycles/s of both, their ratios (purging ÷ idle), the
# rows purged per second while the load ran, the batches' size and time in
# the writer (from the daemon's debug log), and the mean commit time of
# each (the store's own figure at close).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import sqlite3
import time

from benchlib import emit, merchant_daemon, note, require_built, run_customer

CONCURRENCY = int(os.environ.get('USDTPAY_BENCH_CONCURRENCY', '32'))
DURATION = float(os.environ.get('USDTPAY_BENCH_SECONDS', '8'))
ROUNDS = int(os.environ.get('USDTPAY_BENCH_ROUNDS', '2'))
IDEMPOTENCY_ROWS = 150000
DELIVERIES = 25000
DAY_USEC = 86400 * 1000000

CHUNK_RE = re.compile(r'usdtpay-retention-DEBUG: (\d\d):(\d\d):(\d\d)\.(\d{3}): '
                      r'Purged (\d+) (?:idempotency answers|webhook deliveries) \((\d+) rows\) in ([0-9.]+) ms')
COMMIT_RE = re.compile(r'Wrote (\d+) requests in (\d+) groups \(([0-9.]+) a group, ([0-9.]+) ms a commit\)')


def seed(db_path):
    """The backlog: answers two days old, deliveries finished 40 days ago."""
    now = int(time.time() * 1000000)
    response = b'{"id":"ord_' + b'x' * 600 + b'"}'
    body = b'{"id":"evt_1","type":"order.completed","order":{' + b'"x":"' + b'y' * 700 + b'"}}'
    conn = sqlite3.connect(db_path)
    conn.execute('PRAGMA synchronous = OFF')
    with conn:
        conn.executemany('INSERT INTO idempotency (shop, key, body_hash, status, response, created_at)'
                         ' VALUES (?, ?, ?, 201, ?, ?)',
                         (('bench-shop', 'old-%d' % i, '0' * 64, response, now - 2 * DAY_USEC + i)
                          for i in range(IDEMPOTENCY_ROWS)))
        conn.executemany('INSERT INTO webhook_deliveries (id, shop, event_id, event_type, order_id, body, state,'
                         ' attempts, next_attempt_at, created_at, updated_at)'
                         " VALUES (?, 'bench-shop', ?, 'order.completed', NULL, ?, 'delivered', 1, 0, ?, ?)",
                         ((i, 'evt_%d' % i, body, now - 40 * DAY_USEC + i, now - 40 * DAY_USEC + i)
                          for i in range(1, DELIVERIES + 1)))
        conn.executemany('INSERT INTO webhook_attempts (delivery_id, n, at, status, duration_ms, error)'
                         ' VALUES (?, 1, ?, 200, 3, NULL)',
                         ((i, now - 40 * DAY_USEC + i) for i in range(1, DELIVERIES + 1)))
    conn.close()
    return IDEMPOTENCY_ROWS + 2 * DELIVERIES


def log_text(d):
    with open(d.log_path, errors='replace') as f:
        return f.read()


def purged_batches(d):
    out = []
    for m in CHUNK_RE.finditer(log_text(d)):
        h, mi, s, ms, _items, rows, took = m.groups()
        if int(rows) > 0:
            out.append((int(h) * 3600 + int(mi) * 60 + int(s) + int(ms) / 1000, int(rows), float(took)))
    return out


def clock_of_day():
    t = time.localtime()
    return t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec + (time.time() % 1)


def run_once(purging, round_):
    merchants = ['m%d' % i for i in range(1, 5)]
    d, shop_key, margs = merchant_daemon('bench-retention', merchants)
    result = {}
    try:
        # Restarted with the debug log on (not for the admin commands: they
        # would print it on stdout).
        d.stop()
        if purging:
            result['backlog'] = seed(d.db)
        os.environ['G_MESSAGES_DEBUG'] = 'usdtpay-retention,usdtpay-sqlite-store'
        try:
            d.start()
        finally:
            del os.environ['G_MESSAGES_DEBUG']
        if purging:
            # The first pass begins 5 s after start: load from its first batch on.
            deadline = time.monotonic() + 60
            while not purged_batches(d):
                if time.monotonic() > deadline:
                    raise SystemExit('no retention batch within 60 s: ' + d.log_tail())
                time.sleep(0.05)
        else:
            time.sleep(5)
        started = clock_of_day()
        r = run_customer(['--platform', d.url, '--api-key', shop_key, '--pay-after', '0', '--auto-confirm',
                          '--merchant-cap', '100000', '--concurrency', str(CONCURRENCY),
                          '--duration', str(DURATION), '--drain', '10',
                          '--run-id', '%s%d' % ('purge' if purging else 'idle', round_)] + margs,
                         timeout=DURATION + 300)
        ended = clock_of_day()
        if purging:
            during = [b for b in purged_batches(d) if started <= b[0] <= ended]
            result['rows_during'] = sum(b[1] for b in during)
            result['window_s'] = ended - started
            batches = purged_batches(d)
            result['batches'] = batches
        d.stop()
        m = COMMIT_RE.search(log_text(d))
        result['commit_ms'] = float(m.group(4)) if m else 0.0
        result['report'] = r
    finally:
        d.cleanup()
    return result


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def main():
    require_built()
    idle, purge = [], []
    for round_ in range(ROUNDS):
        note('round %d: the lifecycle load with nothing to purge' % (round_ + 1))
        idle.append(run_once(False, round_))
        note('round %d: the same load while a backlog of %d rows is purged'
             % (round_ + 1, IDEMPOTENCY_ROWS + 2 * DELIVERIES))
        purge.append(run_once(True, round_))

    def fig(runs, key):
        return median([float(r['report'][key]) for r in runs])

    emit('concurrency', CONCURRENCY)
    emit('backlog_rows', purge[0]['backlog'])
    for name, runs in (('idle', idle), ('purging', purge)):
        emit('%s_lifecycles_per_s' % name, fig(runs, 'lifecycles_per_s'))
        for kind in ('create', 'lifecycle'):
            for p in ('p50', 'p99'):
                emit('%s_%s_%s_ms' % (name, kind, p), fig(runs, '%s_%s_ms' % (kind, p)))
        emit('%s_commit_ms' % name, median([r['commit_ms'] for r in runs]))
        emit('%s_errors' % name, sum(int(r['report']['errors']) for r in runs))
    emit('ratio_lifecycles_per_s', fig(purge, 'lifecycles_per_s') / fig(idle, 'lifecycles_per_s'))
    emit('ratio_create_p99', fig(purge, 'create_p99_ms') / fig(idle, 'create_p99_ms'))
    emit('ratio_lifecycle_p99', fig(purge, 'lifecycle_p99_ms') / fig(idle, 'lifecycle_p99_ms'))
    emit('purged_rows_per_s_under_load', median([r['rows_during'] / r['window_s'] for r in purge]))
    batches = [b for r in purge for b in r['batches']]
    emit('batch_rows_max', max(b[1] for b in batches))
    emit('batch_ms_p50', median([b[2] for b in batches]))
    emit('batch_ms_max', max(b[2] for b in batches))


if __name__ == '__main__':
    main()
