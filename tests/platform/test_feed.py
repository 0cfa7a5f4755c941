# The live feed: resume after a disconnect yields every event exactly once in
# seq order (compared with a subscriber that never disconnected), a merchant's
# stream holds only its audience, the platform turns a merchant offline 30 s
# after its last feed dropped (dev clock), and a client that never acks is
# closed with 4008 once more than 10,000 events are unacknowledged.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import subprocess
import threading
import time

from harness import CUSTOMER, CheckFailed, Feed, World, check, customer_token, eq, expect_ok, run


def drive(w, n, tag):
    """n small lifecycles with every ending: matched, paid, completed, cancelled."""
    d = w.d
    for i in range(n):
        o = d.create_order(w.shop_key, amount='%d.000000' % (10 + i), external_id='%s-%d' % (tag, i))
        t = customer_token(o)
        deadline = time.monotonic() + 10
        while o['state'] != 'matched':
            check(time.monotonic() < deadline, 'order matched', o)
            time.sleep(0.02)
            o = d.order(o['id'], w.shop_key)
        if i % 4 == 1:
            d.action(o['id'], 'cancel', t)
        elif i % 4 >= 2:
            d.action(o['id'], 'paid', t, {'payer_name': 'Payer %d' % i})
            if i % 4 == 3:
                d.action(o['id'], 'confirm', w.tokens[o['merchant']])


def test_resume_exactly_once(d):
    w = World(d, merchants=('alice', 'bob'))
    alice = w.tokens['alice']
    head0 = d.head()
    steady = Feed(d, alice, since=head0)           # never disconnects
    steady.wait_caught_up()
    b1 = Feed(d, alice, since=head0, background=False)
    check(b1.recv()['type'] == 'caught_up', 'an empty replay ends with caught_up at once')

    drive(w, 12, 'r1')
    # Read part of it, ack what was applied, then drop the connection abruptly.
    got1 = []
    b1.ws.settimeout(10)
    while len(got1) < 7:
        msg = b1.recv()
        check(msg is not None, 'the feed stays open')
        got1.append(msg)
    b1.ack(got1[-1]['seq'])
    b1.ws.sock.shutdown(2)
    b1.ws.sock.close()

    drive(w, 12, 'r2')
    b2 = Feed(d, alice, since=got1[-1]['seq'])
    drive(w, 8, 'r3')
    marker = d.create_order(w.shop_key, amount='1.000000', external_id='marker')
    # Wait for the marker on the steady stream, then for the resumed one to reach the same seq.
    m = None
    for _ in range(200):
        o = d.order(marker['id'], w.shop_key)
        if o['state'] == 'matched':
            m = o
            break
        time.sleep(0.05)
    check(m is not None, 'the marker order is matched')
    last = steady.wait_order_event('order.matched', marker['id'])['seq'] if m['merchant'] == 'alice' else None
    if last is None:
        # Matched to bob: alice's last event is whatever came before; use the head of her stream.
        time.sleep(1.0)
        last = steady.events[-1]['seq']
    b2.wait_for(lambda e: e['seq'] >= last, 15, 'seq %d on the resumed feed' % last)
    time.sleep(0.5)

    combined = got1 + b2.events
    seqs = [e['seq'] for e in combined]
    check(all(a < b for a, b in zip(seqs, seqs[1:])), 'the resumed stream is strictly increasing', seqs)
    eq(seqs, [e['seq'] for e in steady.events], 'the resumed stream against the steady one (seqs)')
    eq(combined, steady.events, 'the resumed stream against the steady one (events)')
    check(b2.head_at_caught_up is not None and b2.head_at_caught_up >= got1[-1]['seq'],
          'the resumed feed sent caught_up')

    # A merchant's stream holds its own orders only and skips other principals' seqs.
    for e in steady.events:
        if 'order' in e and 'merchant' in e['order']:
            check(e['order']['merchant'] in ('alice', None), "no event of bob's orders for alice", e)
    all_seqs = [e['seq'] for e in steady.events]
    check(all_seqs[-1] - all_seqs[0] + 1 > len(all_seqs), "alice's stream skips other principals' seqs")
    eq(len(set(all_seqs)), len(all_seqs), 'no seq twice')
    steady.close()
    b2.close()
    w.close()
    d.stop()
    d.assert_check_clean()


def merchant_me(d, token):
    return expect_ok(d.get('/v1/merchants/me', token), 200, 'GET /v1/merchants/me')


def test_offline_30s_after_feed_drops(d):
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    me = merchant_me(d, alice)
    eq((me['online'], me['connected']), (True, True), 'online and connected with a live feed')
    head = d.head()
    w.feeds['alice'].close()
    deadline = time.monotonic() + 5
    while merchant_me(d, alice)['connected']:
        check(time.monotonic() < deadline, 'connected turns false when the last feed closes')
        time.sleep(0.05)
    d.advance_clock(20)
    time.sleep(0.5)
    eq(merchant_me(d, alice)['online'], True, 'still online 20 s after the feed dropped')
    d.advance_clock(11)
    deadline = time.monotonic() + 5
    while merchant_me(d, alice)['online']:
        if time.monotonic() > deadline:
            raise CheckFailed('the merchant is still online 31 s (dev clock) after its last feed dropped')
        time.sleep(0.05)
    # No order is matched to a merchant who cannot see it.
    o = d.create_order(w.shop_key, amount='10.000000', external_id='off-1')
    time.sleep(0.3)
    eq(d.order(o['id'], w.shop_key)['state'], 'pending', 'an order after the merchant went offline')
    # ... and the platform said so in the feed.
    back = Feed(d, alice, since=head)
    back.wait_caught_up()
    ev = back.wait_for(lambda e: e['type'] == 'merchant.updated' and e.get('merchant', {}).get('online') is False,
                       5, 'merchant.updated with online false')
    check(ev['seq'] > head, 'the offline event is new')
    back.close()
    w.close()
    d.stop()
    d.assert_check_clean()


def test_switch_without_feed_is_not_online(d):
    """Online is the switch and a live feed connection: no order goes to a
    merchant whose switch is on but who has no feed open."""
    w = World(d, merchants=('alice',), online=False)
    alice = w.tokens['alice']
    me = d.merchant_settings(alice, online=True, auto_match=True,
                             methods=[{'id': 'bank', 'account_name': 'A', 'account_number': '1'}])
    eq(me['connected'], False, 'connected without a feed')
    o1 = d.create_order(w.shop_key, amount='10.000000', external_id='nofeed-1')
    time.sleep(0.3)
    eq(d.order(o1['id'], w.shop_key)['state'], 'pending', 'not matched to a merchant without a feed')
    feed = Feed(d, alice, since=d.head())
    feed.wait_caught_up()
    eq(merchant_me(d, alice)['connected'], True, 'connected with a feed')
    o2 = d.create_order(w.shop_key, amount='11.000000', external_id='nofeed-2')
    deadline = time.monotonic() + 10
    while d.order(o2['id'], w.shop_key)['state'] != 'matched':
        check(time.monotonic() < deadline, 'matched once the feed is open')
        time.sleep(0.05)
    feed.close()
    d.stop()
    d.assert_check_clean()


def test_never_acking_client_is_closed_4008(d):
    check(os.path.exists(CUSTOMER), 'usdtpay-customer is built', CUSTOMER)
    shop_key = d.add_shop('shop1')
    d.add_support('sue')
    d.start()
    sue = d.login('sue')
    head = d.head()
    good = Feed(d, sue, since=head)                         # acks as it should
    good.wait_caught_up()
    lazy = Feed(d, sue, since=head, background=False, timeout=120)
    check(lazy.recv()['type'] == 'caught_up', 'caught_up first')
    received = [0]

    def read_never_ack():
        try:
            while lazy.recv() is not None:
                received[0] += 1
        except Exception as e:  # noted below through close_code
            lazy.error = e

    reader = threading.Thread(target=read_never_ack, daemon=True)
    reader.start()
    # Support's audience is every event: 10,500 creates are > 10,000 events.
    n = 10500
    p = subprocess.run([CUSTOMER, '--platform', d.url, '--api-key', shop_key, '--no-pay',
                        '--count', str(n), '--concurrency', '32', '--run-id', 'ack4008'],
                       capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, 'the simulator ran', p.stderr[-2000:])
    reader.join(60)
    eq(lazy.close_code, 4008, 'the close code for a client that never acks')
    check(received[0] >= 10000, 'the lazy client got at least 10,000 events before 4008', received[0])
    good.wait_for(lambda e: e['seq'] >= head + n, 60, 'every event on the acking client')
    check(not good.closed.is_set(), 'the acking client stays open', good.close_code)
    eq(len(good.events), len(set(e['seq'] for e in good.events)), 'no duplicates')
    good.close()
    d.stop()
    d.assert_check_clean()


def test_silent_client_is_closed_4008(d):
    """A client that sends nothing (no ack, no pong) for 30 s is closed with
    4008. Real time: the server pings every 15 s, so this takes 30–45 s."""
    w = World(d, merchants=('alice',))
    head = d.head()
    silent = Feed(d, w.tokens['alice'], since=head, background=False, timeout=30)
    silent.answer_pings = False
    started = time.monotonic()
    # Events keep coming meanwhile on the other (acking) feed, which must stay open.
    for i in range(3):
        d.create_order(w.shop_key, amount='%d.000000' % (5 + i), external_id='silent-%d' % i)
    # Reading sends nothing (pings go unanswered), so the client stays silent
    # while we watch for the close.
    got = []
    while True:
        msg = silent.recv()
        if msg is None:
            break
        got.append(msg)
    waited = time.monotonic() - started
    eq(silent.close_code, 4008, 'the close code for a silent client')
    check(29 <= waited <= 60, 'closed after 30 s of silence (within two ping periods)', waited)
    check(len(got) >= 3, 'the silent client still got the events before the close', len(got))
    check(not w.feeds['alice'].closed.is_set(), 'the acking feed of the same merchant stays open',
          w.feeds['alice'].close_code)
    w.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_resume_exactly_once, test_offline_30s_after_feed_drops, test_switch_without_feed_is_not_online,
         test_never_acking_client_is_closed_4008,
         test_silent_client_is_closed_4008])
