# benchlib.py — shared by the benchmark drivers.
#
# Copyright 2026 UsdtPay developers
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The load is always the C simulator (usdtpay-customer); these drivers only
# start the daemon, the anchors (a throw-away PostgreSQL cluster for pgbench,
# the static libsoup server) and print `name=value` lines.

import os
import pwd
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'platform'))

from harness import CUSTOMER, PLATFORM, Daemon  # noqa: E402

STATIC_SERVER = os.environ.get('USDTPAY_STATIC_SERVER',
                               os.path.join(os.environ.get('USDTPAY_BUILDDIR', '.'), 'tests', 'bench',
                                            'static-server'))
PG_BIN = os.environ.get('USDTPAY_PG_BIN', '/usr/lib/postgresql/15/bin')


def emit(name, value):
    if isinstance(value, float):
        value = '%.3f' % value
    print('%s=%s' % (name, value), flush=True)


def note(text):
    print('# ' + text, file=sys.stderr, flush=True)


def parse_report(out):
    values = {}
    for line in out.splitlines():
        m = re.fullmatch(r'([a-z0-9_]+)=(.*)', line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def run_customer(args, timeout):
    """Runs usdtpay-customer; returns its name=value report, plus cpu_s: the
    CPU seconds it used (the load generator shares the cores with the daemon)."""
    cmd = [CUSTOMER] + args
    note(' '.join(cmd))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(p.stderr[-3000:])
    if p.returncode != 0:
        raise SystemExit('usdtpay-customer exited %d' % p.returncode)
    report = parse_report(p.stdout)
    report['cpu_s'] = '%.3f' % (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return report


def cpu_seconds(pid):
    """utime + stime of a live process, from /proc."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def merchant_daemon(name, merchants, credit='100000000'):
    """A daemon on a temp dev database (fsync on, the rate limit off) with a
    shop and funded merchants. Returns (daemon, shop_key, merchant args)."""
    d = Daemon(name)
    shop_key = d.add_shop('bench-shop')
    args = []
    for m in merchants:
        d.add_merchant(m)
        d.credit(m, credit)
        args += ['--merchant', m, '--password-file', os.path.join(d.dir, 'pw-%s' % m)]
    d.start()
    return d, shop_key, args


def vm_status(pid):
    values = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmHWM', 'VmRSS'):
                values[k] = int(v.split()[0])  # kB
    return values


class Static:
    """tests/bench/static-server on a free loopback port."""

    def __enter__(self):
        self.proc = subprocess.Popen([STATIC_SERVER], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.fullmatch(r'listening on (http://\S+)\n', line)
        if not m:
            self.proc.kill()
            raise SystemExit('static-server did not start: %r' % line)
        self.url = m.group(1)
        return self

    def __exit__(self, exc_type, exc, tb):
        self.proc.terminate()
        rc = self.proc.wait(10)
        if rc != 0 and exc_type is None:
            raise SystemExit('static-server exited %d on SIGTERM' % rc)


def pgbench_tps(scale=10, clients=8, seconds=10):
    """TPC-B on a throw-away cluster (fsync on) run as an unprivileged user."""
    for tool in ('initdb', 'pg_ctl', 'pgbench'):
        if not os.path.exists(os.path.join(PG_BIN, tool)):
            raise SystemExit('%s/%s is missing: apt-get install postgresql' % (PG_BIN, tool))
    root = os.geteuid() == 0
    data = tempfile.mkdtemp(prefix='usdtpay-pg-')
    prefix = []
    if root:
        nobody = pwd.getpwnam('nobody')
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        prefix = ['runuser', '-u', 'nobody', '--']
    env = dict(os.environ, LC_ALL='C', HOME=data)
    pgdata = os.path.join(data, 'pgdata')

    def sh(*cmd, timeout=300):
        p = subprocess.run(prefix + list(cmd), capture_output=True, text=True, env=env, cwd=data,
                           timeout=timeout)
        if p.returncode != 0:
            raise SystemExit('%s failed: %s' % (cmd[0], (p.stdout + p.stderr)[-2000:]))
        return p.stdout + p.stderr

    started = False
    try:
        sh(os.path.join(PG_BIN, 'initdb'), '-D', pgdata, '-A', 'trust', '-U', 'bench', '--no-sync')
        sh(os.path.join(PG_BIN, 'pg_ctl'), '-D', pgdata, '-w', '-l', os.path.join(data, 'pg.log'),
           '-o', "-k %s -c listen_addresses='' -c fsync=on -c synchronous_commit=on" % data, 'start')
        started = True
        conn = ['-h', data, '-U', 'bench']
        sh(os.path.join(PG_BIN, 'pgbench'), '-i', '-q', '-s', str(scale), *conn, 'postgres', timeout=600)
        out = sh(os.path.join(PG_BIN, 'pgbench'), '-c', str(clients), '-j', str(min(clients, 2)),
                 '-T', str(seconds), *conn, 'postgres', timeout=seconds + 120)
        m = re.search(r'tps = ([0-9.]+)', out)
        if not m:
            raise SystemExit('no tps in the pgbench output: ' + out[-1000:])
        return float(m.group(1))
    finally:
        if started:
            subprocess.run(prefix + [os.path.join(PG_BIN, 'pg_ctl'), '-D', pgdata, '-m', 'fast', '-w', 'stop'],
                           capture_output=True, env=env, cwd=data, timeout=120)
        shutil.rmtree(data, ignore_errors=True)


def require_built():
    for path in (PLATFORM, CUSTOMER):
        if not os.path.exists(path):
            raise SystemExit('%s is not built' % path)


def in_thread(fn, *args):
    box = {}

    def run():
        try:
            box['value'] = fn(*args)
        except BaseException as e:  # reported by the caller
            box['error'] = e
    t = threading.Thread(target=run)
    t.start()
    return t, box
