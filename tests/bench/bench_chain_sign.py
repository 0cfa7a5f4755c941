#!/usr/bin/env python3
# bench_chain_sign.py — the `chain-sign` benchmark of issue 6.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# First bench-chain-sign: Keccak-256 hashes and secp256k1, EIP-191 and
# EIP-1559 signatures and recoveries per second, with nettle's SHA3-256 and
# libsecp256k1 called directly as anchors and the ratios to them; then the
# chain watcher's catch-up over 10,000 blocks holding 10,000 deposits on
# Anvil (bench_chain_watcher.py). Prints `name=value` lines; fails when
# either part finds a wrong result.
#
# USDTPAY_BENCH_SIGN_SECONDS (default 1) and USDTPAY_BENCH_SIGN_REPEATS
# (default 3) set the first part's time per measurement and repeats;
# USDTPAY_BENCH_DEPOSITS (default 10000) the second part's deposits.

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_chain_watcher  # noqa: E402


def main():
    exe = os.environ['USDTPAY_BENCH_CHAIN_SIGN']
    args = [exe, '--seconds', os.environ.get('USDTPAY_BENCH_SIGN_SECONDS', '1'),
            '--repeats', os.environ.get('USDTPAY_BENCH_SIGN_REPEATS', '3')]
    sys.stdout.flush()
    rc = subprocess.run(args, timeout=900).returncode
    if rc != 0:
        sys.exit('bench-chain-sign failed with status %d' % rc)
    bench_chain_watcher.run()


if __name__ == '__main__':
    main()
