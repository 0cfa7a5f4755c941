# The feed-latency benchmark: 1,000 orders/s for 10 s with a merchant
# subscribed (auto-matching); the latency is from the create request's send
# to the arrival of the merchant's order.matched event, measured in the
# simulator. Prints feed_p50_ms and feed_p99_ms (target p99 < 10 ms).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os

from benchlib import emit, merchant_daemon, require_built, run_customer

RATE = float(os.environ.get('USDTPAY_BENCH_RATE', '1000'))
DURATION = float(os.environ.get('USDTPAY_BENCH_SECONDS', '10'))


def main():
    require_built()
    d, shop_key, margs = merchant_daemon('bench-feed', ['m1'], credit='1000000000')
    try:
        r = run_customer(['--platform', d.url, '--api-key', shop_key, '--rate', str(RATE),
                          '--duration', str(DURATION), '--no-pay', '--connections', '64',
                          '--merchant-cap', '1000000', '--amount-min', '1', '--amount-max', '50',
                          '--drain', '10', '--run-id', 'feed'] + margs,
                         timeout=DURATION + 120)
        d.stop()
    finally:
        d.cleanup()
    emit('rate_target', RATE)
    emit('orders_per_s', float(r['create_count']) / float(r['elapsed_s']))
    emit('feed_events', int(r.get('feed_count', '0')))
    emit('feed_missing', int(r.get('feed_missing', '0')))
    emit('feed_p50_ms', float(r.get('feed_p50_ms', '0')))
    emit('feed_p90_ms', float(r.get('feed_p90_ms', '0')))
    emit('feed_p99_ms', float(r.get('feed_p99_ms', '0')))
    emit('feed_max_ms', float(r.get('feed_max_ms', '0')))
    emit('create_p50_ms', float(r.get('create_p50_ms', '0')))
    emit('create_p99_ms', float(r.get('create_p99_ms', '0')))
    emit('errors', int(r['errors']))


if __name__ == '__main__':
    main()
