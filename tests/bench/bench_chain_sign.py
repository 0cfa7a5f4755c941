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
# Measured here (2 shared cores, load average ~6 from other builds), per
# CPU second: Keccak-256 2.33 M hashes/s of 32 B (ratio 0.99 to nettle's
# SHA3-256) and 328 MB/s over 1 KiB (0.98); secp256k1 signatures 34,600/s
# and recoveries 21,200/s (1.00 to libsecp256k1); EIP-191 signatures
# 33,200/s (0.96); EIP-1559 transfers built, signed and serialised
# 29,700/s (0.86 of a bare signature) and decoded with their sender
# recovered 19,200/s (0.91). Catch-up of 10,000 deposits in 10,012 blocks:
# 3.9 to 5.3 s of wall time under that load (1.6 s when it was lighter),
# 1.33 s of the daemon's CPU from its start, 0.08 s of Anvil's.
#
# USDTPAY_BENCH_SIGN_SECONDS (default 1) and USDTPAY_BENCH_SIGN_REPEATS
# (default 3) set the first part's CPU time per measurement and repeats;
# USDTPAY_BENCH_DEPOSITS (default 10000) and USDTPAY_BENCH_CATCHUP_RUNS
# (default 3) the second part's deposits and runs.

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
