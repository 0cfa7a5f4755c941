# chainlib.py — a real EVM node for the platform's chain tests.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts Anvil from the npm package of Foundry (build-aux/install-npm-deps,
# $USDTPAY_NPM_DIR or ~/.cache/usdtpay/npm) on a free port, compiles the
# project's TestToken.sol with the solc npm package, deploys it, and drives
# the chain over JSON-RPC: token transfers from Anvil's unlocked development
# accounts, mining, reorganisations. Messages are signed with our own
# `usdtpay-chain sign-message`.

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import CheckFailed, check

NPM_DIR = os.environ.get('USDTPAY_NPM_DIR') or os.path.join(os.path.expanduser('~'), '.cache', 'usdtpay', 'npm')
ANVIL = os.path.join(NPM_DIR, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil')
SOLC = os.path.join(NPM_DIR, 'node_modules', 'solc', 'solc.js')
SRCDIR = os.environ.get('USDTPAY_SRCDIR', os.path.join(os.path.dirname(__file__), '..', '..'))
BUILDDIR = os.environ.get('USDTPAY_BUILDDIR', os.path.join(SRCDIR, 'build'))
CHAIN_TOOL = os.environ.get('USDTPAY_CHAIN_TOOL', os.path.join(BUILDDIR, 'src', 'tools', 'usdtpay-chain'))

# Anvil's default development keys (its well-known test mnemonic).
DEV_KEYS = [
    '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
    '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
    '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
]

TRANSFER_SELECTOR = 'a9059cbb'
BALANCE_OF_SELECTOR = '70a08231'


def tool(*args):
    p = subprocess.run([CHAIN_TOOL] + list(args), capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise CheckFailed('usdtpay-chain %s failed: %s' % (args[0], p.stderr.strip()))
    return p.stdout.strip()


def address_of(key):
    return tool('address', key)


def sign_message(key, message):
    return tool('sign-message', key, message)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def word(hex_value):
    return hex_value[2:].lower().rjust(64, '0') if hex_value.startswith('0x') else hex_value.rjust(64, '0')


class Anvil:
    """One Anvil node in a temp directory, with the test token deployed."""

    def __init__(self, extra_args=()):
        if not os.path.exists(ANVIL) or not os.path.exists(SOLC):
            raise CheckFailed('anvil or solc is missing under %s; run build-aux/install-npm-deps '
                              '(it honours USDTPAY_NPM_DIR)' % NPM_DIR)
        self.dir = tempfile.mkdtemp(prefix='usdtpay-anvil-')
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.proc = None
        self.extra_args = list(extra_args)
        self.accounts = [address_of(k) for k in DEV_KEYS]
        self.token = None
        self.start()

    def start(self):
        log = open(os.path.join(self.dir, 'anvil.log'), 'a')
        # --state: the chain is saved on SIGTERM and loaded again by the
        # next start, so a test can take the node away and bring it back.
        self.proc = subprocess.Popen([ANVIL, '--host', '127.0.0.1', '--port', str(self.port),
                                      '--chain-id', '31337', '--state', os.path.join(self.dir, 'state.json')]
                                     + self.extra_args,
                                     cwd=self.dir, stdout=log, stderr=log,
                                     env=dict(os.environ, HOME=self.dir))
        deadline = time.monotonic() + 30
        while True:
            try:
                self.rpc('eth_chainId')
                return
            except (OSError, urllib.error.URLError, CheckFailed):
                if time.monotonic() > deadline:
                    raise CheckFailed('anvil did not answer on %s' % self.url)
                time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def cleanup(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    # JSON-RPC -----------------------------------------------------------
    def rpc(self, method, *params):
        body = json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': method, 'params': list(params)}).encode()
        req = urllib.request.Request(self.url, body, {'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as resp:
            answer = json.loads(resp.read())
        if 'error' in answer:
            raise CheckFailed('%s: %s' % (method, answer['error']))
        return answer['result']

    def block_number(self):
        return int(self.rpc('eth_blockNumber'), 16)

    def mine(self, n=1):
        self.rpc('anvil_mine', hex(n))

    def reorg(self, depth):
        self.rpc('anvil_reorg', depth, [])

    def set_eth(self, address, wei=10 ** 20):
        self.rpc('anvil_setBalance', address, hex(wei))

    def wait_receipt(self, tx_hash, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            receipt = self.rpc('eth_getTransactionReceipt', tx_hash)
            if receipt is not None:
                return receipt
            time.sleep(0.05)
        raise CheckFailed('no receipt for %s' % tx_hash)

    def send(self, sender, to, data, gas=200000):
        tx = {'from': sender, 'data': data, 'gas': hex(gas)}
        if to is not None:
            tx['to'] = to
        tx_hash = self.rpc('eth_sendTransaction', tx)
        receipt = self.wait_receipt(tx_hash)
        check(receipt['status'] == '0x1', 'transaction %s succeeds' % tx_hash, receipt)
        return receipt

    # The token ------------------------------------------------------------
    def deploy_token(self):
        src = os.path.join(SRCDIR, 'tests', 'chain', 'TestToken.sol')
        shutil.copy(src, os.path.join(self.dir, 'TestToken.sol'))
        p = subprocess.run(['node', SOLC, '--bin', '--optimize', '-o', 'out', 'TestToken.sol'],
                           cwd=self.dir, capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, 'solc compiles TestToken.sol', p.stderr)
        with open(os.path.join(self.dir, 'out', 'TestToken_sol_TestToken.bin')) as f:
            code = '0x' + f.read().strip()
        receipt = self.send(self.accounts[0], None, code, gas=3000000)
        self.token = receipt['contractAddress']
        return self.token

    def transfer(self, sender, to, micro):
        """A token transfer from an unlocked development account; its receipt."""
        data = '0x' + TRANSFER_SELECTOR + word(to) + ('%064x' % micro)
        return self.send(sender, self.token, data)

    def balance_of(self, owner):
        data = '0x' + BALANCE_OF_SELECTOR + word(owner)
        return int(self.rpc('eth_call', {'to': self.token, 'data': data}, 'latest'), 16)
