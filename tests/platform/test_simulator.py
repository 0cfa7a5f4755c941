# usdtpay-customer against the real daemon: full lifecycles with simulated
# merchants (auto-matching and offers), its report, its exit statuses, and
# SIGINT. The shop's balance must equal the net of every completed order.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import signal
import subprocess
import time

from harness import CUSTOMER, World, check, eq, expect_ok, micro, run


def pw(d, user):
    return os.path.join(d.dir, 'pw-%s' % user)


def parse_report(out):
    values = {}
    for line in out.splitlines():
        if '=' in line and not line.startswith(' '):
            k, _, v = line.partition('=')
            values[k] = v
    return values


def sim(d, *args, timeout=300):
    p = subprocess.run([CUSTOMER, '--platform', d.url] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, parse_report(p.stdout), p.stderr


def merchants_args(d, users):
    args = []
    for u in users:
        args += ['--merchant', u, '--password-file', pw(d, u)]
    return args


def all_orders(d, token):
    items, after = [], None
    while True:
        body = expect_ok(d.get('/v1/orders?limit=100' + ('&after=' + after if after else ''), token), 200)
        items += body['items']
        if not body['next']:
            return items
        after = body['next']


def test_simulated_lifecycles(d):
    check(os.path.exists(CUSTOMER), 'usdtpay-customer is built', CUSTOMER)
    w = World(d, merchants=('alice', 'bob'), online=False)
    rc, r, err = sim(d, '--api-key', w.shop_key, '--count', '40', '--concurrency', '8', '--pay-after', '0',
                     '--auto-confirm', '--strict', *merchants_args(d, ('alice', 'bob')))
    eq(rc, 0, 'the simulator exit status (stderr: %s)' % err[-1500:])
    eq(r.get('state_completed'), '40', 'completed lifecycles')
    eq(r.get('lifecycles'), '40', 'lifecycles')
    eq(r.get('create_count'), '40', 'creates')
    eq(r.get('paid_count'), '40', 'paid')
    eq(r.get('confirm_count'), '40', 'confirms')
    eq(r.get('errors'), '0', 'errors')
    for k in ('create_p50_ms', 'create_p99_ms', 'confirm_p90_ms', 'lifecycle_max_ms', 'feed_p50_ms',
              'lifecycles_per_s'):
        check(k in r and float(r[k]) > 0, '%s is reported' % k, r.get(k))
    orders = [o for o in all_orders(d, w.shop_key) if o['external_id'].startswith('sim-')]
    eq(len(orders), 40, 'orders the simulator created')
    check(all(o['state'] == 'completed' for o in orders), 'every simulated order completed')
    net = sum(micro(o['net']) for o in orders)
    eq(micro(d.balances(w.shop_key)['balance']), net, 'the shop balance is the sum of the nets')
    d.stop()
    d.assert_check_clean()


def test_simulated_offers(d):
    w = World(d, merchants=('alice', 'bob'), online=False)
    rc, r, err = sim(d, '--api-key', w.shop_key, '--count', '20', '--concurrency', '4', '--pay-after', '10',
                     '--auto-confirm', '--manual', '--strict', *merchants_args(d, ('alice', 'bob')))
    eq(rc, 0, 'the simulator exit status (stderr: %s)' % err[-1500:])
    eq(r.get('state_completed'), '20', 'completed lifecycles with offers')
    eq(r.get('accept_count'), '20', 'one winning accept per order')
    eq(r.get('accept_errors'), '0', 'accepts that failed other than by losing a race')
    check(int(r.get('offers_lost', '-1')) >= 0, 'offers_lost is reported')
    d.stop()
    d.assert_check_clean()


def test_simulator_exit_statuses(d):
    w = World(d, merchants=('alice',), online=False)
    rc, r, err = sim(d, '--api-key', 'up_not_a_key', '--count', '3')
    eq(rc, 1, 'a refused API key is fatal')
    check('API key' in err, 'says why', err[-500:])
    with open(pw(d, 'wrong'), 'w') as f:
        f.write('not the password\n')
    rc, r, err = sim(d, '--api-key', w.shop_key, '--count', '3', '--merchant', 'alice', '--password-file',
                     pw(d, 'wrong'))
    eq(rc, 1, 'a failed merchant login is fatal')
    rc, r, err = sim(d, '--api-key', w.shop_key, '--rate', '5', '--concurrency', '5')
    eq(rc, 2, '--rate with --concurrency is a usage error')
    p = subprocess.run([CUSTOMER, '--help'], capture_output=True, text=True)
    eq(p.returncode, 0, '--help')
    check('--platform' in p.stdout, '--help lists the options')

    # SIGINT: stops, reports, exits 0.
    proc = subprocess.Popen([CUSTOMER, '--platform', d.url, '--api-key', w.shop_key, '--rate', '50',
                             '--duration', '0', '--no-pay'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    eq(proc.returncode, 0, 'exit status after SIGINT (stderr: %s)' % err[-800:])
    r = parse_report(out)
    check(int(r.get('create_count', '0')) >= 50, 'orders were created at about 50/s', r.get('create_count'))
    eq(r.get('create_errors'), '0', 'create errors')
    d.stop()
    d.assert_check_clean()


def test_simulator_ends_with_retries_waiting(d):
    """A run that ends while answers of 429 wait out their Retry-After stops
    on time and exits 0. (The requests it frees were still reachable from
    the main context before, so LeakSanitizer could not tell.)"""
    d.serve_args = ['--rate-limit', '5']
    w = World(d, merchants=('alice',), online=False)
    started = time.monotonic()
    rc, r, err = sim(d, '--api-key', w.shop_key, '--concurrency', '20', '--duration', '2', '--drain', '0',
                     '--no-pay', timeout=60)
    took = time.monotonic() - started
    eq(rc, 0, 'exit status (stderr: %s)' % err[-800:])
    check(int(r.get('retries', '0')) > 0, 'the rate limit made the simulator retry', r.get('retries'))
    check(took < 10, 'it stopped without waiting for the retries', '%.1f s' % took)
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_simulated_lifecycles, test_simulated_offers, test_simulator_exit_statuses,
         test_simulator_ends_with_retries_waiting])
