# The memory benchmark: the daemon's peak RSS (VmHWM from /proc) once it
# holds 100,000 completed and 10,000 open orders, all made by usdtpay-customer
# (target < 200 MB). Also the RSS after a restart on that database, when the
# engine rebuilds its memory from the store.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os

from benchlib import emit, merchant_daemon, require_built, run_customer, vm_status

COMPLETED = int(os.environ.get('USDTPAY_BENCH_COMPLETED', '100000'))
OPEN = int(os.environ.get('USDTPAY_BENCH_OPEN', '10000'))
CONCURRENCY = os.environ.get('USDTPAY_BENCH_CONCURRENCY', '64')


def main():
    require_built()
    merchants = ['m%d' % i for i in range(1, 9)]
    d, shop_key, margs = merchant_daemon('bench-rss', merchants, credit='1000000000')
    try:
        emit('rss_start_mb', vm_status(d.proc.pid)['VmRSS'] / 1024.0)
        done = run_customer(['--platform', d.url, '--api-key', shop_key, '--count', str(COMPLETED),
                             '--concurrency', CONCURRENCY, '--pay-after', '0', '--auto-confirm',
                             '--merchant-cap', '100000', '--run-id', 'rss-done'] + margs,
                            timeout=7200)
        emit('rss_peak_after_completed_mb', vm_status(d.proc.pid)['VmHWM'] / 1024.0)
        opened = run_customer(['--platform', d.url, '--api-key', shop_key, '--count', str(OPEN),
                               '--concurrency', CONCURRENCY, '--no-pay', '--merchant-cap', '100000',
                               '--run-id', 'rss-open'] + margs,
                              timeout=3600)
        status = vm_status(d.proc.pid)
        emit('orders_completed', int(done['state_completed']))
        emit('orders_open', int(opened['state_matched']) + int(opened['state_pending']))
        emit('lifecycles_per_s', float(done['lifecycles_per_s']))
        emit('rss_peak_mb', status['VmHWM'] / 1024.0)
        emit('rss_now_mb', status['VmRSS'] / 1024.0)
        d.stop()
        d.start()
        status = vm_status(d.proc.pid)
        emit('rss_after_restart_mb', status['VmRSS'] / 1024.0)
        emit('rss_peak_after_restart_mb', status['VmHWM'] / 1024.0)
        d.stop()
    finally:
        d.cleanup()


if __name__ == '__main__':
    main()
