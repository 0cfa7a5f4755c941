# The webhooks benchmark: the lifecycle load (usdtpay-customer, auto-matching
# merchants, fsync on) twice, without and then with the shop's webhook set to
# a local receiver (tests/bench/static-server, which answers 200 to
# anything). Prints name=value lines: lifecycles per second both ways and the
# change, and webhook deliveries per second during the load with their
# latency from the event to the receiver's answer, read from the outbox
# table afterwards.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))

from benchlib import Static, emit, merchant_daemon, note, require_built, run_customer  # noqa: E402

CONCURRENCY = int(os.environ.get('USDTPAY_BENCH_CONCURRENCY', '64'))
DURATION = float(os.environ.get('USDTPAY_BENCH_SECONDS', '10'))
MERCHANTS = ['m%d' % i for i in range(1, 9)]


def load(d, shop_key, margs, run_id):
    return run_customer(['--platform', d.url, '--api-key', shop_key, '--concurrency', str(CONCURRENCY),
                         '--duration', str(DURATION), '--pay-after', '0', '--auto-confirm',
                         '--merchant-cap', '100000', '--drain', '10', '--run-id', run_id] + margs,
                        timeout=DURATION + 300)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def main():
    require_built()

    note('run 1: the lifecycle load without webhooks')
    d, shop_key, margs = merchant_daemon('bench-webhooks-off', MERCHANTS)
    try:
        base = load(d, shop_key, margs, 'nohooks')
        d.stop()
    finally:
        d.cleanup()

    note('run 2: the same load with every order event delivered to a local receiver')
    with Static() as receiver:
        d, shop_key, margs = merchant_daemon('bench-webhooks-on', MERCHANTS)
        try:
            r = d.patch('/v1/shops/me', {'webhook_url': receiver.url + '/hooks/usdtpay'}, shop_key)
            if r.status != 200:
                raise SystemExit('could not set the webhook: %d %r' % (r.status, r.raw))
            hooked = load(d, shop_key, margs, 'hooks')
            # Let the outbox drain, then read it.
            deadline = time.monotonic() + 120
            db = sqlite3.connect('file:%s?mode=ro' % d.db, uri=True)
            while time.monotonic() < deadline:
                pending = db.execute("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'").fetchone()[0]
                if pending == 0:
                    break
                time.sleep(0.2)
            rows = db.execute("SELECT created_at, updated_at, state, attempts FROM webhook_deliveries").fetchall()
            db.close()
            d.stop()
        finally:
            d.cleanup()

    delivered = [(c, u) for c, u, s, _ in rows if s == 'delivered']
    latencies = [(u - c) / 1000.0 for c, u in delivered]
    span = (max(u for _, u in delivered) - min(c for c, _ in delivered)) / 1e6 if delivered else 0.0
    lifecycles_off = float(base['lifecycles_per_s'])
    lifecycles_on = float(hooked['lifecycles_per_s'])

    emit('concurrency', CONCURRENCY)
    emit('lifecycles_per_s_without_webhooks', lifecycles_off)
    emit('lifecycles_per_s_with_webhooks', lifecycles_on)
    emit('lifecycles_change_pct', (lifecycles_on - lifecycles_off) / lifecycles_off * 100 if lifecycles_off else 0.0)
    emit('deliveries', len(rows))
    emit('deliveries_delivered', len(delivered))
    emit('deliveries_not_delivered', len(rows) - len(delivered))
    emit('deliveries_retried', sum(1 for _, _, _, a in rows if a > 1))
    emit('deliveries_per_s', len(delivered) / span if span > 0 else 0.0)
    emit('delivery_p50_ms', percentile(latencies, 50))
    emit('delivery_p99_ms', percentile(latencies, 99))
    emit('events_per_lifecycle', len(rows) / float(hooked['lifecycles']) if float(hooked.get('lifecycles', 0)) else 0.0)
    emit('errors', int(base['errors']) + int(hooked['errors']))


if __name__ == '__main__':
    main()
