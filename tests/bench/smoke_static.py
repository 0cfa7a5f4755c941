# A quick test (not a benchmark) of the lifecycle benchmark's ceiling anchor:
# static-server answers, and usdtpay-customer --static-url drives it over
# keep-alive connections and reports static_req_per_s. Benchmarks do not run
# in CI; this keeps their machinery from rotting.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import sys

from benchlib import Static, run_customer


def main():
    with Static() as s:
        r = run_customer(['--static-url', s.url + '/v1/orders/x', '--concurrency', '8',
                          '--duration', '1', '--strict'], timeout=60)
    failures = []
    if int(r.get('static_count', '0')) < 100:
        failures.append('too few static requests: %s' % r.get('static_count'))
    if r.get('static_errors') != '0' or r.get('errors') != '0':
        failures.append('errors: %s' % r)
    if float(r.get('static_req_per_s', '0')) <= 0:
        failures.append('no static_req_per_s')
    for f in failures:
        print('FAIL ' + f)
    if not failures:
        print('ok   static anchor: %s requests/s' % r['static_req_per_s'])
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
