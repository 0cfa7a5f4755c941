# Whole order lifecycles against the real daemon, with the ledger checked at
# every step: the amount frozen on match, the shop credited amount - fee and
# the fee account the fee on completion, and every transfer summing to zero.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import re
import time

from harness import (CheckFailed, World, check, customer_token, eq, expect_error,
                     fee_account, fee_of, micro, run, usdt)

CREDIT = 100000 * 1000000
ORDER_FIELDS = {'id', 'version', 'state', 'amount', 'fee', 'net', 'fiat_amount', 'fiat_currency',
                'method', 'external_id', 'customer_ref', 'payer_name', 'shop', 'merchant',
                'created_at', 'matched_at', 'paid_at', 'completed_at', 'payment_deadline',
                'confirm_deadline'}


def merchant_balance(d, token):
    b = d.balances(token)
    return micro(b['available']), micro(b['frozen'])


def shop_balance(d, key):
    return micro(d.balances(key)['balance'])


def ledger_sums_to_zero(w):
    accounts = w.d.accounts(w.support)
    eq(sum(accounts.values()), 0, 'the sum of every account (double entry)')
    return accounts


def wait_state(d, order_id, token, states, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        order = d.order(order_id, token)
        if order['state'] in states:
            return order
        if time.monotonic() > deadline:
            raise CheckFailed('order %s stayed %s, expected one of %s' % (order_id, order['state'], states))
        time.sleep(0.05)


def test_auto_match_lifecycle(d):
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    eq(merchant_balance(d, alice), (CREDIT, 0), 'alice before')
    eq(shop_balance(d, w.shop_key), 0, 'shop before')
    accounts = ledger_sums_to_zero(w)
    fees_before = accounts.get(fee_account(accounts), 0) if any('fee' in n for n in accounts) else 0

    amount = micro('123.450000')
    fee = fee_of(amount)
    order = d.create_order(w.shop_key, amount=usdt(amount), external_id='life-1', customer_ref='cust-9')
    check(ORDER_FIELDS <= set(order), 'the order answer has every field', sorted(ORDER_FIELDS - set(order)))
    eq(order['amount'], usdt(amount), 'amount')
    eq(order['fee'], usdt(fee), 'fee')
    eq(order['net'], usdt(amount - fee), 'net')
    eq(order['shop'], 'shop1', 'shop')
    eq(order['external_id'], 'life-1', 'external_id')
    eq(order['customer_ref'], 'cust-9', 'customer_ref')
    check(order['id'].startswith('ord_') and len(order['id']) == 24, 'ord_ + 20 characters', order['id'])
    t = customer_token(order)
    if order['state'] == 'pending':
        order = wait_state(d, order['id'], w.shop_key, ('matched',))
    eq(order['state'], 'matched', 'state after create with an auto-matching merchant online')
    eq(order['merchant'], 'alice', 'matched merchant')
    check(order['matched_at'] and order['payment_deadline'], 'matched_at and payment_deadline set', order)
    v_matched = order['version']

    ev = w.feeds['alice'].wait_order_event('order.matched', order['id'])
    check('pay_url' not in ev['order'], 'feed events never carry pay_url', ev)
    check(ev['order']['version'] >= v_matched, 'event version', ev['order']['version'], v_matched)

    # Matching froze the amount.
    eq(merchant_balance(d, alice), (CREDIT - amount, amount), 'alice after match (available, frozen)')
    eq(shop_balance(d, w.shop_key), 0, 'shop after match')
    ledger_sums_to_zero(w)

    # The customer sees the order, not the pay_url; the shop still does.
    cust_view = d.order(order['id'], t)
    check('pay_url' not in cust_view, 'the customer does not see pay_url', cust_view)
    eq(cust_view['state'], 'matched', 'customer view state')

    paid = d.action(order['id'], 'paid', t, {'payer_name': 'Zhang San'})
    eq(paid['state'], 'paid', 'state after paid')
    eq(paid['payer_name'], 'Zhang San', 'payer_name')
    eq(paid['version'], v_matched + 1, 'version after paid')
    check(paid['paid_at'] and paid['confirm_deadline'], 'paid_at and confirm_deadline', paid)
    w.feeds['alice'].wait_order_event('order.paid', order['id'])
    eq(merchant_balance(d, alice), (CREDIT - amount, amount), 'alice after paid')

    done = d.action(order['id'], 'confirm', alice)
    eq(done['state'], 'completed', 'state after confirm')
    eq(done['version'], v_matched + 2, 'version after confirm')
    check(done['completed_at'], 'completed_at set', done)
    w.feeds['alice'].wait_order_event('order.completed', order['id'])

    eq(merchant_balance(d, alice), (CREDIT - amount, 0), 'alice after completion')
    eq(shop_balance(d, w.shop_key), amount - fee, 'shop after completion: amount - fee')
    accounts = ledger_sums_to_zero(w)
    eq(accounts[fee_account(accounts)] - fees_before, fee, 'fee account after completion')

    shop_view = d.order(order['id'], w.shop_key)
    eq(shop_view['state'], 'completed', 'shop view')
    check('pay_url' in shop_view, 'the owning shop sees pay_url', shop_view)
    w.close()
    d.stop()
    d.assert_check_clean()


def test_manual_matching_lifecycle(d):
    w = World(d, merchants=('alice', 'bob'), auto_match=False)
    alice, bob = w.tokens['alice'], w.tokens['bob']
    amount = micro('50.000000')
    fee = fee_of(amount)
    order = d.create_order(w.shop_key, amount=usdt(amount), external_id='manual-1')
    eq(order['state'], 'pending', 'no auto-matching merchant: pending')
    eq(order['merchant'], None, 'merchant is null until matched')
    for m in ('alice', 'bob'):
        w.feeds[m].wait_order_event('order.offered', order['id'])

    won = d.action(order['id'], 'accept', bob)
    eq(won['state'], 'matched', 'state after accept')
    eq(won['merchant'], 'bob', 'merchant after accept')
    expect_error(d.action(order['id'], 'accept', alice, expect=None), 409, 'already_taken', 'the loser accepts')
    wd = w.feeds['alice'].wait_order_event('offer.withdrawn', order['id'])
    eq(set(wd['order'].keys()), {'id'}, 'offer.withdrawn carries the order id and nothing else')
    # The winner's accept repeated is a no-op answering 200.
    head = d.head()
    again = d.action(order['id'], 'accept', bob)
    eq((again['state'], again['version']), (won['state'], won['version']), 'accept repeated by the winner')
    eq(d.head(), head, 'a repeated accept writes nothing')

    eq(merchant_balance(d, bob), (CREDIT - amount, amount), 'bob after accept')
    eq(merchant_balance(d, alice), (CREDIT, 0), 'alice untouched')
    t = customer_token(order)
    d.action(order['id'], 'paid', t, {'payer_name': 'Li Si'})
    w.feeds['bob'].wait_order_event('order.paid', order['id'])
    expect_error(d.action(order['id'], 'confirm', alice, expect=None), 404, 'not_found',
                 "another merchant's order is 404")
    eq(d.action(order['id'], 'confirm', bob)['state'], 'completed', 'confirm')
    eq(merchant_balance(d, bob), (CREDIT - amount, 0), 'bob after completion')
    eq(shop_balance(d, w.shop_key), amount - fee, 'shop after completion')
    accounts = ledger_sums_to_zero(w)
    eq(accounts[fee_account(accounts)], fee, 'fee account')
    w.close()
    d.stop()
    d.assert_check_clean()


def test_cancel_unfreezes(d):
    w = World(d, merchants=('alice',))
    alice = w.tokens['alice']
    a1, a2 = micro('10.000000'), micro('20.000000')
    o1 = d.create_order(w.shop_key, amount=usdt(a1), external_id='c-1')
    o2 = d.create_order(w.shop_key, amount=usdt(a2), external_id='c-2')
    wait_state(d, o1['id'], w.shop_key, ('matched',))
    wait_state(d, o2['id'], w.shop_key, ('matched',))
    eq(merchant_balance(d, alice), (CREDIT - a1 - a2, a1 + a2), 'two orders frozen')
    c1 = d.action(o1['id'], 'cancel', customer_token(o1))
    eq(c1['state'], 'cancelled', 'customer cancels before paid')
    eq(merchant_balance(d, alice), (CREDIT - a2, a2), 'the cancelled amount is unfrozen')
    c2 = d.action(o2['id'], 'cancel', w.shop_key)
    eq(c2['state'], 'cancelled', 'shop cancels before paid')
    eq(merchant_balance(d, alice), (CREDIT, 0), 'everything unfrozen')
    w.feeds['alice'].wait_order_event('order.cancelled', o2['id'])
    # Cancelled is final: paying it is refused with the current state.
    expect_error(d.action(o1['id'], 'paid', customer_token(o1), {'payer_name': 'x'}, expect=None),
                 409, 'illegal_transition', 'paid after cancel')
    # Cancel after paid is refused too.
    time.sleep(0.002)  # a later millisecond than o1 and o2
    o3 = d.create_order(w.shop_key, amount='5.000000', external_id='c-3')
    # Ids begin with their creation time, so later orders sort later (the
    # store's indexes keyed by order id grow at their right edge).
    for o in (o1, o2, o3):
        check(re.fullmatch(r'ord_[0-9a-hjkmnp-tv-z]{20}', o['id']), 'ord_ + 20 Crockford base32 characters', o['id'])
    check(max(o1['id'], o2['id']) < o3['id'], 'a later order has a later id', o1['id'], o2['id'], o3['id'])
    wait_state(d, o3['id'], w.shop_key, ('matched',))
    d.action(o3['id'], 'paid', customer_token(o3), {'payer_name': 'Wang Wu'})
    err = expect_error(d.action(o3['id'], 'cancel', w.shop_key, expect=None), 409, 'illegal_transition',
                       'cancel after paid')
    check('paid' in err['message'] or err.get('state') == 'paid', 'the 409 names the current state', err)
    eq(shop_balance(d, w.shop_key), 0, 'no shop credit from cancelled orders')
    ledger_sums_to_zero(w)
    w.close()
    d.stop()
    d.assert_check_clean()


if __name__ == '__main__':
    run([test_auto_match_lifecycle, test_manual_matching_lifecycle, test_cancel_unfreezes])
