#!/usr/bin/env python3
# bench_chain_watcher.py — the chain watcher's catch-up time.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Anvil with the project's test token; the daemon registers a merchant's
# wallet and is stopped; the wallet then sends N deposits to the escrow
# address, one per block: automine is off and the block gas limit equals a
# deposit's gas limit, so a block holds one deposit and the next waits in
# the pool (checked from the receipts). The deposits go in batches of
# JSON-RPC requests with explicit nonces, each batch followed by anvil_mine
# of as many blocks, so the pool stays small. That setup is not the
# measured figure. The daemon is started again and timed, its startup
# included, until the watcher is at the head with every deposit credited
# (also as the daemon's and Anvil's CPU seconds); then the API's deposit
# list, the ledger's deposit transfers and the balance must each show
# exactly N credits, one per transaction, none twice, and the ledger check
# must be clean. Each of RUNS runs starts from a copy of the database
# taken before the deposits; the median is reported. Prints `name=value`
# lines. Run by the `chain-sign` benchmark after bench-chain-sign; runs
# alone too.

import http.client
import json
import os
import shutil
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))

from harness import CheckFailed, Daemon, check, eq, expect_ok, micro  # noqa: E402
from chainlib import DEV_KEYS, TRANSFER_SELECTOR, Anvil, sign_message, word  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import cpu_seconds  # noqa: E402

N = int(os.environ.get('USDTPAY_BENCH_DEPOSITS', '10000'))
RUNS = int(os.environ.get('USDTPAY_BENCH_CATCHUP_RUNS', '3'))
CONFIRMATIONS = 12
BASE_AMOUNT = 1000000  # deposit i is BASE_AMOUNT + i micro-USDT
DEPOSIT_GAS = 100000   # also the block gas limit: one deposit per block
BATCH = 200
# Anvil 1.7 rebuilds its whole state trie for every block and keeps every
# block's state; under Prague the EIP-2935 history contract grows that
# state with each block, so block k costs O(k) and 10,000 blocks take
# minutes (foundry-rs/foundry#15715). Cancun has no history contract, and a
# real node keeps recent states only; the watcher reads headers and logs,
# which stay.
ANVIL_ARGS = ['--hardfork', 'cancun', '--prune-history', '256']


def emit(name, value):
    if isinstance(value, float):
        value = '%.3f' % value
    print('%s=%s' % (name, value), flush=True)


class Rpc:
    """Batched JSON-RPC on one keep-alive connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection('127.0.0.1', port, timeout=120)

    def call(self, requests):
        body = [{'jsonrpc': '2.0', 'id': i, 'method': m, 'params': p} for i, (m, p) in enumerate(requests)]
        self.conn.request('POST', '/', json.dumps(body), {'Content-Type': 'application/json'})
        answers = sorted(json.loads(self.conn.getresponse().read()), key=lambda a: a['id'])
        eq(len(answers), len(requests), 'answers in the batch')
        for (method, _), answer in zip(requests, answers):
            if 'error' in answer:
                raise CheckFailed('%s: %s' % (method, answer['error']))
        return [a['result'] for a in answers]

    def close(self):
        self.conn.close()


def send_deposits(anvil, wallet, escrow):
    """N deposits, one per block; returns {tx_hash: (amount, block)}."""
    rpc = Rpc(anvil.port)
    rpc.call([('evm_setBlockGasLimit', [hex(DEPOSIT_GAS)]), ('evm_setAutomine', [False])])
    nonce = int(anvil.rpc('eth_getTransactionCount', wallet, 'latest'), 16)
    amounts = {}
    for start in range(0, N, BATCH):
        count = min(BATCH, N - start)
        sends = []
        for i in range(start, start + count):
            data = '0x' + TRANSFER_SELECTOR + word(escrow) + ('%064x' % (BASE_AMOUNT + i))
            sends.append(('eth_sendTransaction', [{'from': wallet, 'to': anvil.token, 'data': data,
                                                   'gas': hex(DEPOSIT_GAS), 'nonce': hex(nonce + i)}]))
        for i, tx_hash in enumerate(rpc.call(sends)):
            amounts[tx_hash.lower()] = BASE_AMOUNT + start + i
        rpc.call([('anvil_mine', [hex(count)])])
    rpc.call([('anvil_mine', [hex(CONFIRMATIONS)])])
    eq(int(anvil.rpc('txpool_status')['pending'], 16), 0, 'deposits left in the pool')

    deposits = {}
    hashes = list(amounts)
    for start in range(0, N, BATCH):
        chunk = hashes[start:start + BATCH]
        for tx_hash, receipt in zip(chunk, rpc.call([('eth_getTransactionReceipt', [h]) for h in chunk])):
            check(receipt is not None and receipt['status'] == '0x1', 'deposit %s succeeds' % tx_hash, receipt)
            deposits[tx_hash] = (amounts[tx_hash], int(receipt['blockNumber'], 16))
    rpc.close()
    blocks = {block for _, block in deposits.values()}
    eq(len(blocks), N, 'blocks holding a deposit (one each)')
    return deposits


def wait_watcher_at_head(d, anvil, timeout=30):
    deadline = time.monotonic() + timeout
    while d.get('/v1/health').body['chain']['last_block'] != anvil.block_number():
        check(time.monotonic() < deadline, 'the watcher reaches the head')
        time.sleep(0.1)


def check_credits(d, alice, deposits, what):
    """Exactly one credit per deposit transaction, by the API and the balance."""
    total = sum(amount for amount, _ in deposits.values())
    eq(micro(d.get('/v1/ledger/balances', token=alice).body['available']), total, 'available escrow ' + what)
    items = expect_ok(d.get('/v1/deposits', token=alice), 200)['items']
    eq(len(items), N, 'deposits listed ' + what)
    seen = set()
    for item in items:
        key = (item['tx_hash'].lower(), item['log_index'])
        check(key not in seen, 'deposit %s:%d booked once' % key)
        seen.add(key)
        check(key[0] in deposits, 'deposit %s is one the wallet sent' % key[0])
        amount, block = deposits[key[0]]
        eq(item['state'], 'credited', 'state of %s' % key[0])
        eq(micro(item['amount']), amount, 'amount of %s' % key[0])
        eq(item['block_number'], block, 'block of %s' % key[0])


def save_database(d):
    snapshot = os.path.join(d.dir, 'snapshot')
    os.mkdir(snapshot)
    for name in os.listdir(d.dir):
        if name.startswith('platform.db'):
            shutil.copy2(os.path.join(d.dir, name), snapshot)
    return snapshot


def restore_database(d, snapshot):
    for name in os.listdir(d.dir):
        if name.startswith('platform.db'):
            os.unlink(os.path.join(d.dir, name))
    for name in os.listdir(snapshot):
        shutil.copy2(os.path.join(snapshot, name), d.dir)


def catch_up(d, anvil, deposits, head, last):
    """Starts the daemon, times it until every deposit is credited, then
    checks the credits by the API, the ledger and its check. Returns the
    seconds, and the CPU seconds the daemon (from its start) and Anvil used."""
    total = sum(amount for amount, _ in deposits.values())
    anvil_cpu = cpu_seconds(anvil.proc.pid)
    t = time.monotonic()
    d.start()
    alice = d.login('alice')
    deadline = time.monotonic() + 600
    while True:
        h = d.get('/v1/health').body['chain']
        available = micro(d.get('/v1/ledger/balances', token=alice).body['available'])
        if h['last_block'] >= head and h['pending_deposits'] == 0 and available == total:
            break
        check(d.alive() and time.monotonic() < deadline, 'the daemon catches up', d.log_tail())
        time.sleep(0.05)
    elapsed = time.monotonic() - t
    daemon_cpu = cpu_seconds(d.proc.pid)
    anvil_cpu = cpu_seconds(anvil.proc.pid) - anvil_cpu

    check_credits(d, alice, deposits, 'after the catch-up')
    if last:
        # More blocks on top change nothing.
        anvil.mine(CONFIRMATIONS)
        wait_watcher_at_head(d, anvil)
        check_credits(d, alice, deposits, 'once the watcher followed more blocks')
    d.stop()

    db = sqlite3.connect('file:%s?mode=ro' % d.db, uri=True)
    try:
        ledger = db.execute("SELECT COUNT(*) FROM transfers WHERE kind = 'deposit'").fetchone()[0]
    finally:
        db.close()
    eq(ledger, N, "the ledger's deposit transfers")
    d.assert_check_clean()
    return elapsed, daemon_cpu, anvil_cpu


def run():
    d = Daemon('bench-chain')
    anvil = Anvil(ANVIL_ARGS)
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
        anvil.transfer(anvil.accounts[0], wallet, N * BASE_AMOUNT + N * (N - 1) // 2)
        wait_watcher_at_head(d, anvil)
        d.stop()

        # The database as the watcher left it at the head: each run starts
        # from this copy, so every run catches up the same blocks.
        snapshot = save_database(d)

        start_block = anvil.block_number()
        t = time.monotonic()
        deposits = send_deposits(anvil, wallet, escrow)
        head = anvil.block_number()
        emit('chain_deposit_setup_seconds', time.monotonic() - t)
        emit('chain_blocks', head - start_block)
        emit('chain_deposits', N)

        runs = []
        for r in range(RUNS):
            restore_database(d, snapshot)
            runs.append(catch_up(d, anvil, deposits, head, last=(r == RUNS - 1)))
        times = [elapsed for elapsed, _, _ in runs]
        elapsed = statistics.median(times)
        emit('chain_catchup_runs', RUNS)
        print('chain_catchup_seconds_each=%s' % ','.join('%.3f' % x for x in times), flush=True)
        emit('chain_catchup_seconds', elapsed)
        # Wall time depends on what else the machine runs; CPU time less so.
        emit('chain_catchup_daemon_cpu_seconds', statistics.median(cpu for _, cpu, _ in runs))
        emit('chain_catchup_anvil_cpu_seconds', statistics.median(cpu for _, _, cpu in runs))
        emit('chain_catchup_deposits_per_second', N / elapsed)
        emit('chain_catchup_blocks_per_second', (head - start_block) / elapsed)
    finally:
        anvil.cleanup()
        d.cleanup()


if __name__ == '__main__':
    run()
