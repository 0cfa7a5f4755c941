# Deadlines and disputes, driven by the dev clock (POST /v1/dev/clock): expiry
# unfreezes, a missed confirm deadline disputes and never releases, appeals
# (customer, merchant, late after expiry), support resolutions both ways with
# a mandatory reason, suspend and unsuspend.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import time

from harness import (CheckFailed, World, customer_token, eq, expect_error, expect_ok,
                     fee_account, fee_of, micro, run, usdt)

CREDIT = 100000 * 1000000
SERVE = ['--offer-seconds', '60', '--payment-minutes', '15', '--confirm-minutes', '30']


def balances(d, token):
    b = d.balances(token)
    return micro(b['available']), micro(b['frozen'])


def wait_state(d, order_id, token, state, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        order = d.order(order_id, token)
        if order['state'] == state:
            return order
        if time.monotonic() > deadline:
            raise CheckFailed('order %s is %s, expected %s' % (order_id, order['state'], state))
        time.sleep(0.05)


def matched_order(w, amount, ext):
    order = w.d.create_order(w.shop_key, amount=usdt(amount), external_id=ext)
    t = customer_token(order)
    if order['state'] != 'matched':
        order = wait_state(w.d, order['id'], w.shop_key, 'matched')
    return order, t


def merchant_id(d, support, name):
    body = expect_ok(d.get('/v1/merchants', support), 200, 'GET /v1/merchants')
    for m in body['items']:
        if m.get('name') == name:
            return m.get('id', name)
    raise CheckFailed('merchant %s is not listed' % name)


def test_expiry_unfreezes(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    amount = micro('40.000000')
    order, t = matched_order(w, amount, 'exp-1')
    eq(balances(d, alice), (CREDIT - amount, amount), 'frozen on match')
    d.advance_clock(14 * 60)
    time.sleep(0.3)
    eq(d.order(order['id'], t)['state'], 'matched', 'still matched before the payment deadline')
    d.advance_clock(61 + 5)
    wait_state(d, order['id'], t, 'expired')
    w.feeds['alice'].wait_order_event('order.expired', order['id'])
    eq(balances(d, alice), (CREDIT, 0), 'expiry unfreezes')
    expect_error(d.action(order['id'], 'paid', t, {'payer_name': 'late'}, expect=None), 409,
                 'illegal_transition', 'paid after expiry')

    # An order nobody can take (a method no merchant offers) expires after the offer timeout.
    lonely = d.create_order(w.shop_key, amount='5.000000', external_id='exp-2', method='alipay')
    eq(lonely['state'], 'pending', 'no merchant offers alipay')
    d.advance_clock(61)
    wait_state(d, lonely['id'], w.shop_key, 'expired')
    eq(balances(d, alice), (CREDIT, 0), 'nothing frozen')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_late_appeal(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice',))
    o1, t1 = matched_order(w, micro('10.000000'), 'late-1')
    o2, t2 = matched_order(w, micro('11.000000'), 'late-2')
    d.advance_clock(16 * 60)
    wait_state(d, o1['id'], t1, 'expired')
    wait_state(d, o2['id'], t2, 'expired')
    # Within 24 h of expiry the customer who paid late may appeal.
    d.advance_clock(23 * 3600)
    disputed = d.action(o1['id'], 'dispute', t1, {'reason': 'I paid at 10:14, here is the slip'})
    eq(disputed['state'], 'disputed', 'a late appeal within 24 h')
    w.feeds['alice'].wait_order_event('order.disputed', o1['id'])
    # After 24 h it is refused.
    d.advance_clock(3600 + 60)
    expect_error(d.action(o2['id'], 'dispute', t2, {'reason': 'too late'}, expect=None), 409, 'illegal_transition',
                 'an appeal more than 24 h after expiry')
    eq(d.order(o2['id'], t2)['state'], 'expired', 'the late appeal changed nothing')
    # The merchant may not appeal an expired order (the rule is the customer's).
    expect_error(d.action(o2['id'], 'dispute', w.tokens['alice'], {'reason': 'x'}, expect=None), 409, 'illegal_transition',
                 'a merchant appeal on an expired order')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_confirm_deadline_disputes_never_releases(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    amount = micro('60.000000')
    order, t = matched_order(w, amount, 'cd-1')
    d.action(order['id'], 'paid', t, {'payer_name': 'Zhao Liu'})
    d.advance_clock(31 * 60)
    wait_state(d, order['id'], t, 'disputed')
    w.feeds['alice'].wait_order_event('order.disputed', order['id'])
    d.advance_clock(3 * 24 * 3600)
    time.sleep(0.5)
    eq(d.order(order['id'], t)['state'], 'disputed', 'disputed stays disputed: never auto-release')
    eq(balances(d, alice), (CREDIT - amount, amount), 'the escrow stays frozen')
    eq(micro(d.balances(w.shop_key)['balance']), 0, 'the shop got nothing')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_appeals_and_resolutions(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice',))
    alice, sue = w.tokens['alice'], w.support
    a1, a2 = micro('70.000000'), micro('30.000000')
    o1, t1 = matched_order(w, a1, 'disp-1')
    o2, t2 = matched_order(w, a2, 'disp-2')
    # No appeal before paid.
    expect_error(d.action(o1['id'], 'dispute', alice, {'reason': 'early'}, expect=None), 409, 'illegal_transition',
                 'a merchant appeal before paid')
    d.action(o1['id'], 'paid', t1, {'payer_name': 'A'})
    d.action(o2['id'], 'paid', t2, {'payer_name': 'B'})

    # The customer appeals o1; the merchant appeals o2 (reason optional).
    eq(d.action(o1['id'], 'dispute', t1, {'reason': 'the merchant does not confirm'})['state'], 'disputed',
       'customer appeal after paid')
    eq(d.action(o2['id'], 'dispute', alice, {})['state'], 'disputed', 'merchant appeal after paid')
    eq(balances(d, alice), (CREDIT - a1 - a2, a1 + a2), 'disputes keep the escrow frozen')

    # Only support resolves, and only with a reason.
    path1 = '/v1/orders/%s/resolve' % o1['id']
    expect_error(d.post(path1, {'outcome': 'completed', 'reason': 'x'}, alice), 403, 'forbidden',
                 'a merchant resolves')
    expect_error(d.post(path1, {'outcome': 'completed', 'reason': 'x'}, w.shop_key), 403, 'forbidden',
                 'a shop resolves')
    expect_error(d.post(path1, {'outcome': 'completed'}, sue), 400, 'invalid_request', 'resolve without a reason')
    expect_error(d.post(path1, {'outcome': 'completed', 'reason': ''}, sue), 400, 'invalid_request',
                 'resolve with an empty reason')
    expect_error(d.post(path1, {'outcome': 'refunded', 'reason': 'x'}, sue), 400, 'invalid_request',
                 'resolve with an unknown outcome')
    eq(d.order(o1['id'], sue)['state'], 'disputed', 'refused resolutions change nothing')

    r1 = expect_ok(d.post(path1, {'outcome': 'completed', 'reason': 'bank slip verified'}, sue), 200,
                   'resolve to completed')
    eq(r1['state'], 'completed', 'resolved for the customer')
    w.feeds['alice'].wait_order_event('order.resolved', o1['id'])
    fee = fee_of(a1)
    eq(micro(d.balances(w.shop_key)['balance']), a1 - fee, 'the shop gets amount - fee')
    eq(balances(d, alice), (CREDIT - a1 - a2, a2), 'o1 released from escrow')

    r2 = expect_ok(d.post('/v1/orders/%s/resolve' % o2['id'],
                          {'outcome': 'cancelled', 'reason': 'no money arrived'}, sue), 200, 'resolve to cancelled')
    eq(r2['state'], 'cancelled', 'resolved for the merchant')
    eq(balances(d, alice), (CREDIT - a1, 0), 'o2 unfrozen back to the merchant')
    accounts = d.accounts(sue)
    eq(accounts[fee_account(accounts)], fee, 'the fee of the completed resolution only')
    eq(sum(accounts.values()), 0, 'the ledger sums to zero')
    # A resolved order is final.
    expect_error(d.post(path1, {'outcome': 'cancelled', 'reason': 'again'}, sue), 409, 'illegal_transition',
                 'resolving a completed order')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_suspend_unsuspend(d):
    d.serve_args = SERVE
    w = World(d, merchants=('alice',))
    alice, sue = w.tokens['alice'], w.support
    mid = merchant_id(d, sue, 'alice')
    expect_error(d.post('/v1/merchants/%s/suspend' % mid, {'reason': 'x'}, alice), 403, 'forbidden',
                 'a merchant suspends')
    expect_error(d.post('/v1/merchants/%s/suspend' % mid, {}, sue), 400, 'invalid_request', 'suspend without a reason')
    expect_error(d.post('/v1/merchants/nobody/suspend', {'reason': 'x'}, sue), 404, 'not_found',
                 'suspend an unknown merchant')
    expect_ok(d.post('/v1/merchants/%s/suspend' % mid, {'reason': 'chargeback fraud report'}, sue), 200,
              'suspend')
    me = expect_ok(d.get('/v1/merchants/me', alice), 200, 'GET /v1/merchants/me')
    eq(me['suspended'], True, 'suspended in the settings')
    order = d.create_order(w.shop_key, amount='20.000000', external_id='susp-1')
    time.sleep(0.3)
    eq(d.order(order['id'], w.shop_key)['state'], 'pending', 'a suspended merchant is not matched')
    eq(balances(d, alice), (CREDIT, 0), 'nothing frozen while suspended')
    expect_error(d.post('/v1/merchants/%s/unsuspend' % mid, {}, sue), 400, 'invalid_request', 'unsuspend without a reason')
    expect_ok(d.post('/v1/merchants/%s/unsuspend' % mid, {'reason': 'cleared'}, sue), 200, 'unsuspend')
    eq(expect_ok(d.get('/v1/merchants/me', alice), 200)['suspended'], False, 'not suspended')
    o2 = d.create_order(w.shop_key, amount='21.000000', external_id='susp-2')
    if o2['state'] != 'matched':
        o2 = wait_state(d, o2['id'], w.shop_key, 'matched')
    eq(o2['merchant'], 'alice', 'matched again after unsuspend')
    w.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_expiry_unfreezes, test_late_appeal, test_confirm_deadline_disputes_never_releases,
         test_appeals_and_resolutions, test_suspend_unsuspend])
