# The webhooks benchmark: the lifecycle load (usdtpay-customer, auto-matching
# merchants, fsync on) without and with the shop's webhook set to a local
# receiver, alternately, two rounds each (tests/bench/static-server, which answers 200 to
# anything). Prints name=value lines: lifecycles per second both ways and the
# change, the daemon's CPU time per lifecycle both ways, and webhook deliveries per second during the load with their
# latency from the event to the receiver's answer, read from the outbox
# table afterwards.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'bench'))

from benchlib import (Static, cpu_seconds, emit, merchant_daemon, note, require_built,  # noqa: E402
                      run_customer)

CONCURRENCY = int(os.environ.get('USDTPAY_BENCH_CONCURRENCY', '64'))
DURATION = float(os.environ.get('USDTPAY_BENCH_SECONDS', '10'))
MERCHANTS = ['m%d' % i for i in range(1, 9)]
ROUNDS = int(os.environ.get('USDTPAY_BENCH_ROUNDS', '2'))


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


def run_once(with_webhooks, receiver, round_):
    """One load run; returns (customer report, daemon CPU seconds, outbox rows)."""
    d, shop_key, margs = merchant_daemon('bench-webhooks-%s' % ('on' if with_webhooks else 'off'), MERCHANTS)
    rows = []
    try:
        if with_webhooks:
            r = d.patch('/v1/shops/me', {'webhook_url': receiver.url + '/hooks/usdtpay'}, shop_key)
            if r.status != 200:
                raise SystemExit('could not set the webhook: %d %r' % (r.status, r.raw))
        report = load(d, shop_key, margs, '%s%d' % ('hooks' if with_webhooks else 'nohooks', round_))
        if with_webhooks:
            # Let the outbox drain, then read it.
            deadline = time.monotonic() + 120
            db = sqlite3.connect('file:%s?mode=ro' % d.db, uri=True)
            while time.monotonic() < deadline:
                if db.execute("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'").fetchone()[0] == 0:
                    break
                time.sleep(0.2)
            rows = db.execute("SELECT created_at, updated_at, state, attempts FROM webhook_deliveries").fetchall()
            db.close()
        cpu = cpu_seconds(d.proc.pid)
        d.stop()
    finally:
        d.cleanup()
    return report, cpu, rows


def main():
    require_built()
    off, on = [], []
    with Static() as receiver:
        # Alternating runs, so a neighbour's load on the shared cores hits
        # both modes alike.
        for round_ in range(ROUNDS):
            note('round %d: the lifecycle load without webhooks' % (round_ + 1))
            off.append(run_once(False, receiver, round_))
            note('round %d: the same load with every order event delivered to a local receiver' % (round_ + 1))
            on.append(run_once(True, receiver, round_))

    def rate(runs):
        return sum(float(r['lifecycles_per_s']) for r, _, _ in runs) / len(runs)

    def cpu_ms_per_lifecycle(runs):
        return sum(cpu for _, cpu, _ in runs) * 1000 / max(1, sum(int(r['lifecycles']) for r, _, _ in runs))

    rows = [row for _, _, rs in on for row in rs]
    delivered = [(c, u) for c, u, s, _ in rows if s == 'delivered']
    latencies = [(u - c) / 1000.0 for c, u in delivered]
    spans = []
    for _, _, rs in on:
        done = [(c, u) for c, u, s, _ in rs if s == 'delivered']
        if done:
            spans.append((len(done), (max(u for _, u in done) - min(c for c, _ in done)) / 1e6))
    lifecycles_off, lifecycles_on = rate(off), rate(on)
    lifecycles = sum(int(r['lifecycles']) for r, _, _ in on)

    emit('concurrency', CONCURRENCY)
    emit('rounds', ROUNDS)
    emit('lifecycles_per_s_without_webhooks', lifecycles_off)
    emit('lifecycles_per_s_with_webhooks', lifecycles_on)
    emit('lifecycles_change_pct', (lifecycles_on - lifecycles_off) / lifecycles_off * 100 if lifecycles_off else 0.0)
    emit('daemon_cpu_ms_per_lifecycle_without_webhooks', cpu_ms_per_lifecycle(off))
    emit('daemon_cpu_ms_per_lifecycle_with_webhooks', cpu_ms_per_lifecycle(on))
    emit('deliveries', len(rows))
    emit('deliveries_delivered', len(delivered))
    emit('deliveries_not_delivered', len(rows) - len(delivered))
    emit('deliveries_retried', sum(1 for _, _, _, a in rows if a > 1))
    emit('deliveries_per_s', sum(n for n, _ in spans) / sum(t for _, t in spans) if spans else 0.0)
    emit('delivery_p50_ms', percentile(latencies, 50))
    emit('delivery_p99_ms', percentile(latencies, 99))
    emit('events_per_lifecycle', len(rows) / lifecycles if lifecycles else 0.0)
    emit('errors', sum(int(r['errors']) for r, _, _ in off + on))


if __name__ == '__main__':
    main()
