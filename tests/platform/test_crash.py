# kill -9 of the daemon under load, then a restart on the same database:
# every order whose create was acknowledged (201 received) is there with what
# was asked for, and `usdtpay-platform check` is clean.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import http.client
import json
import os
import signal
import subprocess
import threading
import time

from harness import CUSTOMER, World, check, eq, expect_ok, run


def test_kill9_under_load(d):
    check(os.path.exists(CUSTOMER), 'usdtpay-customer is built', CUSTOMER)
    w = World(d, merchants=('alice', 'bob'), online=False)
    # Lifecycles from the simulator (matching, paying, confirming: ledger
    # writes) while our own threads create orders and note each 201.
    sim = subprocess.Popen([CUSTOMER, '--platform', d.url, '--api-key', w.shop_key,
                            '--concurrency', '16', '--duration', '0', '--pay-after', '0', '--auto-confirm',
                            '--merchant', 'alice', '--password-file', os.path.join(d.dir, 'pw-alice'),
                            '--merchant', 'bob', '--password-file', os.path.join(d.dir, 'pw-bob'),
                            '--merchant-cap', '1000', '--drain', '1', '--run-id', 'crash'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = {}
    lock = threading.Lock()
    stop = threading.Event()
    port = d.port

    def creator(k):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
        i = 0
        while not stop.is_set():
            i += 1
            ext = 'crash-%d-%d' % (k, i)
            body = json.dumps({'amount': '%d.%06d' % (5 + i % 50, i), 'fiat_amount': '36.00',
                               'fiat_currency': 'CNY', 'method': 'bank', 'external_id': ext})
            try:
                conn.request('POST', '/v1/orders', body, {'Authorization': 'Bearer ' + w.shop_key,
                                                          'Idempotency-Key': ext,
                                                          'Content-Type': 'application/json'})
                r = conn.getresponse()
                raw = r.read()
            except (OSError, http.client.HTTPException):
                return  # the daemon is gone
            if r.status == 201:
                order = json.loads(raw)
                with lock:
                    acked[order['id']] = (ext, order['amount'])

    threads = [threading.Thread(target=creator, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(4)
    check(d.alive(), 'the daemon is up under load')
    d.kill9()
    stop.set()
    for t in threads:
        t.join(30)
    sim.send_signal(signal.SIGINT)
    try:
        out, err = sim.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        sim.kill()
        out, err = sim.communicate()
        raise AssertionError('the simulator did not stop on SIGINT: ' + err[-1500:])
    check(len(acked) > 20, 'some creates were acknowledged before the kill', len(acked))
    check('orders_started=' in out, 'the simulator printed its report', out[-500:], err[-500:])

    d.start()
    missing = []
    for order_id, (ext, amount) in acked.items():
        r = d.get('/v1/orders/%s' % order_id, w.shop_key)
        if r.status != 200:
            missing.append((order_id, r.status))
            continue
        eq((r.body['external_id'], r.body['amount']), (ext, amount), 'order %s after the restart' % order_id)
    check(not missing, '%d of %d acknowledged orders lost in the crash' % (len(missing), len(acked)), missing[:10])
    # The books still balance and the daemon still works.
    accounts = d.accounts(d.login('sue'))
    eq(sum(accounts.values()), 0, 'the ledger sums to zero after the crash')
    o = d.create_order(w.shop_key, amount='3.000000', external_id='after-crash')
    expect_ok(d.get('/v1/orders/%s' % o['id'], w.shop_key), 200, 'an order after the restart')
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_kill9_under_load])
