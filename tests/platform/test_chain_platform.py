#!/usr/bin/env python3
# test_chain_platform.py — escrow on chain, against a real Anvil node.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Each test starts Anvil, deploys the project's test token (compiled by solc
# at test time), makes a hot-wallet key with `admin init-wallet`, and runs
# the daemon with --rpc/--token/--confirmations 3/--wallet-key. Wallets are
# registered with real EIP-191 signatures from `usdtpay-chain sign-message`.

import os
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (PLATFORM, CheckFailed, check, eq, expect_error, expect_ok, micro, run, usdt)  # noqa: E402
from chainlib import DEV_KEYS, Anvil, sign_message  # noqa: E402

CONFIRMATIONS = 3
MICRO = 1000000


def wait_until(predicate, what, timeout=20, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise CheckFailed('timed out after %ss waiting for %s (last: %r)' % (timeout, what, last))


class Setup:
    """Anvil with the token, a hot wallet, and the daemon following them."""

    def __init__(self, d, start=True):
        self.d = d
        self.anvil = Anvil()
        self.token = self.anvil.deploy_token()
        self.key_path = os.path.join(d.dir, 'hot-wallet.key')
        p = d.admin('init-wallet', self.key_path)
        self.escrow = p.stdout.strip()
        check(self.escrow.startswith('0x') and len(self.escrow) == 42, 'init-wallet prints the address', p.stdout)
        self.anvil.set_eth(self.escrow)
        d.serve_args = ['--rpc', self.anvil.url, '--token', self.token,
                        '--confirmations', str(CONFIRMATIONS), '--wallet-key', self.key_path]
        if start:
            d.start()

    def close(self):
        self.anvil.cleanup()

    def deposits(self, token, state=None):
        path = '/v1/deposits' + ('?state=' + state if state else '')
        return expect_ok(self.d.get(path, token=token), 200, 'GET ' + path)['items']

    def deposit(self, token, tx_hash):
        items = [x for x in self.deposits(token) if x['tx_hash'] == tx_hash.lower()]
        check(len(items) <= 1, 'one deposit per transaction log', items)
        return items[0] if items else None

    def wait_deposit_state(self, token, tx_hash, state, timeout=20):
        return wait_until(lambda: (lambda x: x if x and x['state'] == state else None)(self.deposit(token, tx_hash)),
                          'deposit %s to be %s' % (tx_hash, state), timeout)

    def register(self, token, key, expect=201):
        address = self.anvil.accounts[DEV_KEYS.index(key)]
        n = expect_ok(self.d.post('/v1/wallets/nonce', {}, token=token), 200, 'POST /v1/wallets/nonce')
        check(n['nonce'] in n['message'], 'the message carries the nonce', n)
        signature = sign_message(key, n['message'])
        body = expect_ok(self.d.post('/v1/wallets', {'address': address, 'signature': signature}, token=token),
                         expect, 'POST /v1/wallets')
        eq(body['address'], address, 'registered address')
        return address

    def available(self, token):
        return micro(expect_ok(self.d.get('/v1/ledger/balances', token=token), 200, 'balances')['available'])

    def health(self):
        return expect_ok(self.d.get('/v1/health'), 200, 'GET /v1/health')


def with_setup(test):
    def wrapper(d):
        s = Setup(d)
        try:
            test(d, s)
            log = d.log_tail(10 ** 8)
            check('CRITICAL' not in log, 'no critical message in the daemon log', log[-3000:])
        finally:
            s.close()
    wrapper.__name__ = test.__name__
    return wrapper


# ---------------------------------------------------------------------------

def test_hot_wallet_and_registration(d):
    s = Setup(d, start=False)
    try:
        # init-wallet: owner-only, never overwrites.
        mode = stat.S_IMODE(os.stat(s.key_path).st_mode)
        eq(mode, 0o600, 'the key file mode')
        p = d.admin('init-wallet', s.key_path, check_rc=False)
        check(p.returncode != 0 and 'refusing' in p.stderr, 'init-wallet refuses an existing file', p.stderr)
        with open(s.key_path) as f:
            secret = f.read().strip()

        # The daemon refuses a key others may read, and never prints it.
        os.chmod(s.key_path, 0o640)
        cmd = [PLATFORM, 'serve', '--db', d.db, '--listen', '127.0.0.1:0', '--dev'] + d.serve_args
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        check(p.returncode != 0 and 'chmod 600' in p.stderr, 'serve refuses a group-readable key', p.stderr)
        check(secret[-20:] not in p.stdout + p.stderr, 'the secret is not printed')
        os.chmod(s.key_path, 0o600)

        # Half the chain options is a usage error.
        p = subprocess.run([PLATFORM, 'serve', '--db', d.db, '--rpc', s.anvil.url], capture_output=True,
                           text=True, timeout=30)
        eq(p.returncode, 2, 'serve with --rpc alone exits 2')

        d.start()
        info = expect_ok(d.get('/v1/chain'), 200, 'GET /v1/chain')
        eq(info['chain_id'] or wait_until(lambda: d.get('/v1/chain').body['chain_id'], 'the chain id'), 31337,
           'chain id')
        eq(info['token'].lower(), s.token.lower(), 'token')
        eq(info['escrow_address'], s.escrow, 'escrow address')
        eq(info['confirmations'], CONFIRMATIONS, 'confirmations')
        eq(info['rpc_url'], s.anvil.url, 'rpc url')
        eq(info['decimals'], 6, 'decimals')
        check(secret[-20:] not in d.log_tail(100000), 'the secret is never logged')

        d.add_merchant('alice')
        d.add_merchant('bob')
        d.add_support('sam')
        alice = d.login('alice')
        bob = d.login('bob')
        sam = d.login('sam')
        shop_key = d.add_shop('acme')

        expect_error(d.post('/v1/wallets/nonce', {}), 401, 'unauthenticated')
        expect_error(d.post('/v1/wallets/nonce', {}, token=sam), 403, 'forbidden')

        address = s.anvil.accounts[1]
        n = expect_ok(d.post('/v1/wallets/nonce', None, token=alice), 200)
        good = sign_message(DEV_KEYS[1], n['message'])
        # A signature by another key, a tampered message, a bad checksum.
        other = sign_message(DEV_KEYS[2], n['message'])
        expect_error(d.post('/v1/wallets', {'address': address, 'signature': other}, token=alice), 400,
                     'invalid_request', 'a signature by another key')
        forged = sign_message(DEV_KEYS[1], n['message'] + ' ')
        expect_error(d.post('/v1/wallets', {'address': address, 'signature': forged}, token=alice), 400,
                     'invalid_request', 'a signature over another message')
        bad_checksum = address[:2] + address[2:].swapcase()
        err = expect_error(d.post('/v1/wallets', {'address': bad_checksum, 'signature': good}, token=alice), 400,
                           'invalid_request', 'a bad checksum')
        check('checksum' in err['message'], 'the error names the checksum', err)
        expect_error(d.post('/v1/wallets', {'address': address, 'signature': good, 'x': 1}, token=alice), 400,
                     'invalid_request', 'an unknown member')
        eq(expect_ok(d.get('/v1/wallets', token=alice))['items'], [], 'nothing registered by refusals')

        body = expect_ok(d.post('/v1/wallets', {'address': address, 'signature': good}, token=alice), 201)
        eq(body['owner'], 'alice', 'owner')
        # The nonce is used up.
        expect_error(d.post('/v1/wallets', {'address': address, 'signature': good}, token=alice), 400,
                     'invalid_request', 'a nonce used twice')
        # Registering again with a fresh nonce is harmless.
        s.register(alice, DEV_KEYS[1], expect=200)
        # One owner per address.
        n = expect_ok(d.post('/v1/wallets/nonce', {}, token=bob), 200)
        expect_error(d.post('/v1/wallets', {'address': address,
                                            'signature': sign_message(DEV_KEYS[1], n['message'])}, token=bob),
                     409, 'conflict', 'an address of another owner')
        # A shop registers its own.
        s.register(shop_key, DEV_KEYS[3])
        items = expect_ok(d.get('/v1/wallets', token=alice))['items']
        eq([x['address'] for x in items], [address], "alice's wallets")
        eq(len(expect_ok(d.get('/v1/wallets', token=bob))['items']), 0, "bob's wallets")

        # Registrations survive a restart.
        d.restart()
        items = expect_ok(d.get('/v1/wallets', token=d.login('alice')))['items']
        eq([x['address'] for x in items], [address], "alice's wallets after a restart")
        d.stop()
        d.assert_check_clean()
    finally:
        s.close()


@with_setup
def test_deposit_confirmations_restart(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    wallet = s.register(alice, DEV_KEYS[1])
    s.anvil.transfer(s.anvil.accounts[0], wallet, 1000 * MICRO)

    receipt = s.anvil.transfer(wallet, s.escrow, 25 * MICRO)
    tx = receipt['transactionHash']
    dep = s.wait_deposit_state(alice, tx, 'seen')
    eq(dep['amount'], '25.000000', 'deposit amount')
    eq(dep['from'], wallet, 'deposit sender')
    eq(s.available(alice), 0, 'nothing credited at 1 confirmation')

    # A restart while it confirms: it is still seen, and not credited.
    d.restart()
    alice = d.login('alice')
    eq(s.deposit(alice, tx)['state'], 'seen', 'still seen after a restart')
    s.anvil.mine(CONFIRMATIONS - 2)
    time.sleep(1.0)
    eq(s.deposit(alice, tx)['state'], 'seen', 'seen at %d confirmations' % (CONFIRMATIONS - 1))
    eq(s.available(alice), 0, 'nothing credited before %d confirmations' % CONFIRMATIONS)

    # Stopped while the block that confirms it is mined.
    d.stop()
    s.anvil.mine(1)
    d.start()
    alice = d.login('alice')
    s.wait_deposit_state(alice, tx, 'credited')
    eq(s.available(alice), 25 * MICRO, 'credited once')

    # A second deposit in the same run, then restarts and more blocks.
    receipt2 = s.anvil.transfer(wallet, s.escrow, 7500000)
    s.wait_deposit_state(alice, receipt2['transactionHash'], 'seen')
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, receipt2['transactionHash'], 'credited')
    d.restart()
    s.anvil.mine(5)
    time.sleep(1.5)
    alice = d.login('alice')
    eq(s.available(alice), 32500000, 'each deposit credited exactly once')
    eq(len(s.deposits(alice)), 2, 'two deposits')
    h = s.health()
    eq(h['chain']['rpc'], 'ok', 'health: rpc ok')
    eq(h['chain']['last_block'], s.anvil.block_number(), 'health: the watcher is at the head')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_reorg_drops_uncredited_deposit(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    wallet = s.register(alice, DEV_KEYS[1])
    s.anvil.transfer(s.anvil.accounts[0], wallet, 100 * MICRO)
    s.anvil.mine(1)

    receipt = s.anvil.transfer(wallet, s.escrow, 40 * MICRO)
    tx = receipt['transactionHash']
    s.wait_deposit_state(alice, tx, 'seen')
    # Replace the deposit's block (and the one after it) with empty ones.
    s.anvil.mine(1)
    time.sleep(0.8)
    s.anvil.reorg(2)
    check(s.anvil.rpc('eth_getTransactionReceipt', tx) is None, 'the reorg removed the transaction')
    s.wait_deposit_state(alice, tx, 'dropped')
    s.anvil.mine(CONFIRMATIONS + 2)
    time.sleep(1.5)
    eq(s.deposit(alice, tx)['state'], 'dropped', 'still dropped after more blocks')
    eq(s.available(alice), 0, 'a dropped deposit is never credited')

    # The watcher goes on after the rewind.
    receipt = s.anvil.transfer(wallet, s.escrow, 5 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, receipt['transactionHash'], 'credited')
    eq(s.available(alice), 5 * MICRO, 'the next deposit is credited')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_unattributed_assign_and_refund(d, s):
    d.add_merchant('alice')
    d.add_support('sam')
    alice = d.login('alice')
    sam = d.login('sam')
    stranger = s.anvil.accounts[4]
    s.anvil.transfer(s.anvil.accounts[0], stranger, 100 * MICRO)

    r1 = s.anvil.transfer(stranger, s.escrow, 12 * MICRO)
    r2 = s.anvil.transfer(stranger, s.escrow, 3 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(sam, r1['transactionHash'], 'unattributed')
    s.wait_deposit_state(sam, r2['transactionHash'], 'unattributed')
    listed = s.deposits(sam, 'unattributed')
    eq(len(listed), 2, 'support sees both unattributed deposits')
    eq(s.deposits(alice), [], 'the merchant sees none of them')
    accounts = expect_ok(d.get('/v1/ledger/balances', token=sam))['accounts']
    eq(micro(accounts['unattributed']), 15 * MICRO, 'the unattributed account')

    dep1 = s.deposit(sam, r1['transactionHash'])
    path = '/v1/deposits/%s/assign' % dep1['id']
    expect_error(d.post(path, {'owner': 'alice', 'reason': 'x'}, token=alice), 403, 'forbidden')
    expect_error(d.post(path, {'owner': 'alice'}, token=sam), 400, 'invalid_request', 'no reason')
    expect_error(d.post(path, {'owner': 'alice', 'reason': ''}, token=sam), 400, 'invalid_request', 'empty reason')
    expect_error(d.post(path, {'owner': 'nobody', 'reason': 'x'}, token=sam), 400, 'invalid_request')
    expect_error(d.post('/v1/deposits/dep_nope/assign', {'owner': 'alice', 'reason': 'x'}, token=sam), 404,
                 'not_found')
    body = expect_ok(d.post(path, {'owner': 'alice', 'reason': 'ticket 42: her old wallet'}, token=sam), 200)
    eq(body['state'], 'assigned', 'assigned')
    eq(body['by'], 'sam', 'assigned by')
    expect_error(d.post(path, {'owner': 'alice', 'reason': 'again'}, token=sam), 409, 'illegal_transition')
    eq(s.available(alice), 12 * MICRO, 'the merchant is credited')
    eq([x['id'] for x in s.deposits(alice)], [dep1['id']], 'the merchant now sees it')

    # The other one goes back on chain.
    dep2 = s.deposit(sam, r2['transactionHash'])
    before = s.anvil.balance_of(stranger)
    body = expect_ok(d.post('/v1/deposits/%s/refund' % dep2['id'], {'reason': 'unknown sender'}, token=sam), 200)
    eq(body['state'], 'refunding', 'refunding')
    wait_until(lambda: s.anvil.balance_of(stranger) == before + 3 * MICRO, 'the refund on chain')
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(sam, r2['transactionHash'], 'refunded')
    accounts = expect_ok(d.get('/v1/ledger/balances', token=sam))['accounts']
    eq(micro(accounts['unattributed']), 0, 'nothing left unattributed')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_withdrawals(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    expect_error(d.post('/v1/withdrawals', {'amount': '1.000000'}, token=alice), 409, 'conflict', 'no wallet')
    wallet = s.register(alice, DEV_KEYS[1])
    s.anvil.transfer(s.anvil.accounts[0], wallet, 500 * MICRO)
    r = s.anvil.transfer(wallet, s.escrow, 100 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, r['transactionHash'], 'credited')
    eq(s.available(alice), 100 * MICRO, 'funded')

    err = expect_error(d.post('/v1/withdrawals', {'amount': '100.000001'}, token=alice), 409,
                       'insufficient_funds', 'over the balance')
    check(err['message'], 'a clear message', err)
    expect_error(d.post('/v1/withdrawals', {'amount': '-1'}, token=alice), 400, None, 'a negative amount')
    expect_error(d.post('/v1/withdrawals', {'amount': '1.0000001'}, token=alice), 400, None, 'too many decimals')

    on_chain = s.anvil.balance_of(wallet)
    w = expect_ok(d.post('/v1/withdrawals', {'amount': '10.000000'}, token=alice), 201)
    eq(w['state'], 'requested', 'requested at once')
    eq(w['to'], wallet, 'to the registered wallet')
    eq(s.available(alice), 90 * MICRO, 'the amount left available escrow at once')

    # Concurrent withdrawals: distinct nonces, every one mined.
    results = []

    def one(amount):
        results.append(d.post('/v1/withdrawals', {'amount': amount}, token=alice))

    threads = [threading.Thread(target=one, args=('%d.000000' % (i + 1),)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for resp in results:
        expect_ok(resp, 201, 'a concurrent withdrawal')

    def all_sent():
        items = expect_ok(d.get('/v1/withdrawals', token=alice))['items']
        return items if all(x['tx_hash'] for x in items) and len(items) == 6 else None

    items = wait_until(all_sent, 'six withdrawals broadcast')
    nonces = [x['nonce'] for x in items]
    eq(len(set(nonces)), 6, 'distinct nonces')
    eq(sorted(nonces), list(range(min(nonces), min(nonces) + 6)), 'consecutive nonces')

    # The hash is recorded before the broadcast: wait for each to be mined.
    for x in items:
        s.anvil.wait_receipt(x['tx_hash'])
    s.anvil.mine(CONFIRMATIONS)

    def all_settled():
        items = expect_ok(d.get('/v1/withdrawals', token=alice))['items']
        return items if all(x['state'] == 'settled' for x in items) else None

    wait_until(all_settled, 'every withdrawal settled')
    eq(s.anvil.balance_of(wallet), on_chain + 25 * MICRO, "the recipient's on-chain balance grew")
    eq(s.available(alice), 75 * MICRO, 'available after the withdrawals')

    # A shop withdraws its balance, with a key that may.
    shop_key = d.add_shop('acme')
    shop_wallet = s.register(shop_key, DEV_KEYS[3])
    s.anvil.transfer(s.anvil.accounts[0], shop_wallet, 50 * MICRO)
    r = s.anvil.transfer(shop_wallet, s.escrow, 20 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(shop_key, r['transactionHash'], 'credited')
    eq(micro(expect_ok(d.get('/v1/ledger/balances', token=shop_key))['balance']), 20 * MICRO, 'shop balance')
    p = d.admin('add-key', 'acme', '--scopes', 'orders:read')
    read_only = p.stdout.strip()
    expect_error(d.post('/v1/withdrawals', {'amount': '5.000000'}, token=read_only), 403, 'forbidden',
                 'a key without balance:withdraw')
    shop_chain = s.anvil.balance_of(shop_wallet)
    w = expect_ok(d.post('/v1/withdrawals', {'amount': '5.000000'}, token=shop_key), 201)
    eq(w['to'], shop_wallet, "to the shop's wallet")
    wait_until(lambda: s.anvil.balance_of(shop_wallet) == shop_chain + 5 * MICRO, "the shop's transfer on chain")
    s.anvil.mine(CONFIRMATIONS)
    wait_until(lambda: expect_ok(d.get('/v1/withdrawals', token=shop_key))['items'][0]['state'] == 'settled',
               "the shop's withdrawal settled")
    eq(micro(expect_ok(d.get('/v1/ledger/balances', token=shop_key))['balance']), 15 * MICRO,
       'shop balance after')

    # A restart settles nothing twice.
    d.restart()
    s.anvil.mine(2)
    time.sleep(1.0)
    alice = d.login('alice')
    eq(s.available(alice), 75 * MICRO, 'still 75 after a restart')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_withdrawal_survives_kill9(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    wallet = s.register(alice, DEV_KEYS[1])
    s.anvil.transfer(s.anvil.accounts[0], wallet, 100 * MICRO)
    r = s.anvil.transfer(wallet, s.escrow, 60 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, r['transactionHash'], 'credited')
    on_chain = s.anvil.balance_of(wallet)

    # Killed at every point of the sender's work, a few times over.
    total = 0
    for i in range(4):
        amount = (i + 1) * MICRO
        expect_ok(d.post('/v1/withdrawals', {'amount': usdt(amount)}, token=alice), 201)
        total += amount
        time.sleep(0.05 * i)
        d.kill9()
        d.start()
        alice = d.login('alice')

    def settled():
        items = expect_ok(d.get('/v1/withdrawals', token=alice))['items']
        if len(items) == 4 and all(x['state'] == 'settled' for x in items):
            return items
        s.anvil.mine(1)
        return None

    items = wait_until(settled, 'every withdrawal settled after the kills', timeout=60, interval=0.3)
    eq(len(set(x['nonce'] for x in items)), 4, 'distinct nonces')
    eq(s.anvil.balance_of(wallet), on_chain + total, 'each withdrawal paid exactly once on chain')
    eq(s.available(alice), 60 * MICRO - total, 'each withdrawal debited exactly once')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_failed_withdrawals_return_funds(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    wallet = s.register(alice, DEV_KEYS[1])
    d.credit('alice', '50')   # on the ledger only: the escrow holds no tokens yet

    def final(w_id):
        def probe():
            items = [x for x in expect_ok(d.get('/v1/withdrawals', token=alice))['items'] if x['id'] == w_id]
            if items and items[0]['state'] in ('settled', 'failed'):
                return items[0]
            s.anvil.mine(1)
            return None
        return wait_until(probe, 'withdrawal %s to end' % w_id, timeout=30, interval=0.2)

    # No ether for gas: the node refuses the transaction; the nonce is free again.
    s.anvil.set_eth(s.escrow, 0)
    w1 = expect_ok(d.post('/v1/withdrawals', {'amount': '10.000000'}, token=alice), 201)
    w1 = final(w1['id'])
    eq(w1['state'], 'failed', 'refused by the node')
    check('refused' in w1['error'], 'the error says so', w1)
    eq(s.available(alice), 50 * MICRO, 'the funds came back')

    # Gas, but no tokens on chain: the transfer reverts.
    s.anvil.set_eth(s.escrow)
    w2 = expect_ok(d.post('/v1/withdrawals', {'amount': '10.000000'}, token=alice), 201)
    w2 = final(w2['id'])
    eq(w2['state'], 'failed', 'reverted')
    check('reverted' in w2['error'], 'the error says so', w2)
    eq(w2['nonce'], w1['nonce'], 'the refused nonce was used again')
    eq(s.available(alice), 50 * MICRO, 'the funds came back again')

    # With tokens in the escrow it goes through, with the next nonce.
    s.anvil.transfer(s.anvil.accounts[0], s.escrow, 100 * MICRO)
    before = s.anvil.balance_of(wallet)
    w3 = expect_ok(d.post('/v1/withdrawals', {'amount': '10.000000'}, token=alice), 201)
    w3 = final(w3['id'])
    eq(w3['state'], 'settled', 'settled')
    eq(w3['nonce'], w2['nonce'] + 1, 'the next nonce')
    eq(s.anvil.balance_of(wallet), before + 10 * MICRO, 'paid once')
    eq(s.available(alice), 40 * MICRO, 'debited once')
    s.anvil.mine(CONFIRMATIONS)
    wait_until(lambda: s.deposits(d.login('alice')) is not None and
               len(s.deposits(d.login('alice'))) == 0 and s.health()['chain']['pending_deposits'] == 0,
               'the unattributed top-up booked')
    d.stop()
    d.assert_check_clean()


@with_setup
def test_rpc_down_and_back(d, s):
    d.add_merchant('alice')
    alice = d.login('alice')
    wallet = s.register(alice, DEV_KEYS[1])
    s.anvil.transfer(s.anvil.accounts[0], wallet, 100 * MICRO)
    wait_until(lambda: s.health()['chain']['last_block'] == s.anvil.block_number(), 'the watcher at the head')

    # A node that stops answering: requests time out, the watcher retries.
    s.anvil.pause()
    h = wait_until(lambda: (lambda h: h if h['chain']['watcher']['state'] == 'retrying' else None)(s.health()),
                   'health to report the watcher retrying', timeout=30)
    eq(h['chain']['rpc'], 'unreachable', 'the node is reported unreachable')
    check(h['chain']['watcher']['error'], 'with the error', h)
    eq(h['status'], 'ok', 'the platform itself is up')
    s.anvil.resume()
    wait_until(lambda: s.health()['chain']['rpc'] == 'ok', 'health back to ok', timeout=30)

    # It carries on where it stopped.
    r = s.anvil.transfer(wallet, s.escrow, 9 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, r['transactionHash'], 'credited')
    eq(s.available(alice), 9 * MICRO, 'credited after the node came back')

    # Down hard: nothing listens on the port; a withdrawal waits meanwhile.
    head = s.anvil.block_number()
    before = s.anvil.balance_of(wallet)
    s.anvil.stop()
    wait_until(lambda: s.health()['chain']['watcher']['state'] == 'retrying', 'retrying while down')
    w = expect_ok(d.post('/v1/withdrawals', {'amount': '4.000000'}, token=alice), 201)
    time.sleep(1.5)
    h = s.health()['chain']
    check(h['watcher']['failures'] >= 2 and h['sender']['state'] == 'retrying', 'both retry while down', h)
    check(d.alive(), 'the daemon survives the node going away')
    eq(s.available(alice), 5 * MICRO, 'the withdrawal left the balance once')

    # Back (the same chain, saved by Anvil): everything carries on.
    s.anvil.start()
    eq(s.anvil.block_number(), head, 'the node came back with its chain')
    wait_until(lambda: s.health()['chain']['rpc'] == 'ok', 'health ok again', timeout=30)
    wait_until(lambda: s.anvil.balance_of(wallet) == before + 4 * MICRO, 'the withdrawal sent after the outage')
    s.anvil.mine(CONFIRMATIONS)
    wait_until(lambda: [x for x in expect_ok(d.get('/v1/withdrawals', token=alice))['items']
                        if x['id'] == w['id'] and x['state'] == 'settled'], 'the withdrawal settled')
    r = s.anvil.transfer(wallet, s.escrow, 1 * MICRO)
    s.anvil.mine(CONFIRMATIONS)
    s.wait_deposit_state(alice, r['transactionHash'], 'credited')
    eq(s.available(alice), 6 * MICRO, 'one more deposit credited, the withdrawal debited once')
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_hot_wallet_and_registration,
         test_deposit_confirmations_restart,
         test_reorg_drops_uncredited_deposit,
         test_unattributed_assign_and_refund,
         test_withdrawals,
         test_withdrawal_survives_kill9,
         test_failed_withdrawals_return_funds,
         test_rpc_down_and_back])
