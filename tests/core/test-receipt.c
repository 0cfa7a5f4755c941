/* test-receipt.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "usdtpay-core.h"

/* The receipt of a fixed order, byte for byte (docs/receipts.md); the same
 * bytes as Python's json.dumps (receipt, sort_keys=True,
 * separators=(",", ":"), ensure_ascii=False) of that receipt. */
static const char expected_text[] =
  "{\"amount\":\"1234.500000\",\"completed_at\":\"2026-11-26T02:20:00.000003Z\","
  "\"created_at\":\"2026-11-26T02:18:47.123456Z\",\"customer_ref\":\"c\\\"1\\\\\\n\xe6\x94\xaf\","
  "\"event\":\"order.completed\",\"fee\":\"3.703500\",\"fiat_amount\":\"8888.88\","
  "\"fiat_currency\":\"CNY\",\"format\":1,\"id\":\"ord_0123456789abcdefghjk\",\"key_id\":\"k1\","
  "\"matched_at\":\"2026-11-26T02:18:48.000001Z\",\"merchant\":\"m1\",\"method\":\"bank\","
  "\"net\":\"1230.796500\",\"paid_at\":null,\"payer_name\":null,\"seq\":42,\"shop\":\"shop1\","
  "\"signed_at\":\"2026-11-26T02:20:00.500000Z\",\"state\":\"completed\"}";

/* Ed25519 over expected_text with the seed 00 01 02 … 1f, computed by PyNaCl
 * (an independent implementation): nacl.signing.SigningKey(bytes(range(32))). */
static const char expected_public[] =
  "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
static const char expected_signature[] =
  "42049b8035d6a413ee33289a60905350b0ccb20e5e4c66b410d14c5978aa2251"
  "05926254c3b7aef9c8fad5d3c85287271367d6ec1b30c9cb400e75a963d63b02";

static UsdtpayOrder *
fixed_order (void)
{
  UsdtpayOrder *order = usdtpay_order_new ();

  order->id = g_strdup ("ord_0123456789abcdefghjk");
  order->version = 5;
  order->state = USDTPAY_ORDER_COMPLETED;
  order->amount = G_GINT64_CONSTANT (1234500000);
  order->fee = usdtpay_fee_compute (order->amount, 30);
  order->net = order->amount - order->fee;
  order->fiat_amount = 888888;
  memcpy (order->fiat_currency, "CNY", 4);
  order->method = g_strdup ("bank");
  order->external_id = g_strdup ("x1");
  order->customer_ref = g_strdup ("c\"1\\\n\xe6\x94\xaf");
  order->shop = g_strdup ("shop1");
  order->merchant = g_strdup ("m1");
  order->created_at = G_GINT64_CONSTANT (1795659527123456);
  order->matched_at = G_GINT64_CONSTANT (1795659528000001);
  order->completed_at = G_GINT64_CONSTANT (1795659600000003);

  return order;
}

static void
seed_keypair (guint8 seed_byte,
              guint8 *public_key,
              guint8 *secret_key)
{
  guint8 seed[32];

  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8)(seed_byte + i);
  g_assert_cmpint (sodium_init (), >=, 0);
  crypto_sign_seed_keypair (public_key, secret_key, seed);
}

static UsdtpayReceipt *
fixed_receipt (void)
{
  g_autoptr(UsdtpayOrder) order = fixed_order ();

  return usdtpay_receipt_new_for_order (order, "order.completed", 42, "k1",
                                        G_GINT64_CONSTANT (1795659600500000));
}

static void
test_encoding_fixed_bytes (void)
{
  g_autoptr(UsdtpayReceipt) receipt = fixed_receipt ();
  g_autoptr(UsdtpayReceipt) back = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  text = usdtpay_receipt_encode (receipt, &length);
  g_assert_cmpstr (text, ==, expected_text);
  g_assert_cmpuint (length, ==, strlen (expected_text));

  back = usdtpay_receipt_parse (text, length, NULL);
  g_assert_nonnull (back);
  g_assert_cmpstr (back->customer_ref, ==, receipt->customer_ref);
  g_assert_null (back->payer_name);
  g_assert_cmpint (back->paid_at, ==, 0);
  g_assert_cmpint (back->seq, ==, 42);
  g_assert_cmpint (back->fiat_amount, ==, 888888);
  again = usdtpay_receipt_encode (back, NULL);
  g_assert_cmpstr (again, ==, text);
}

/* Every way of writing the same receipt other than the canonical one, and
 * every malformed one, is refused. */
static void
test_parse_refuses (void)
{
  static const struct { const char *from; const char *to; } edits[] = {
    { "{\"amount\"", "{ \"amount\"" },                                   /* whitespace */
    { "\"state\":\"completed\"}", "\"state\":\"completed\"}\n" },
    { "\"amount\":\"1234.500000\"", "\"amount\":\"1234.5\"" },           /* not exact */
    { "\"amount\":\"1234.500000\"", "\"amount\":1234.5" },
    { "\"seq\":42", "\"seq\":42.0" },
    { "\"seq\":42", "\"seq\":\"42\"" },
    { "\"seq\":42", "\"seq\":0" },
    { "\"format\":1", "\"format\":2" },
    { "\"paid_at\":null", "\"paid_at\":\"2026-11-26T03:18:48+01:00\"" }, /* not UTC form */
    { "\"id\":\"ord_0123456789abcdefghjk\",", "" },                       /* missing */
    { "\"paid_at\":null", "\"paid_at\":null,\"extra\":1" },               /* unknown */
    { "\"net\":\"1230.796500\"", "\"net\":\"1230.796501\"" },             /* net ≠ amount - fee */
    { "\"fiat_currency\":\"CNY\"", "\"fiat_currency\":\"XXY\"" },
    { "\"created_at\":\"2026-11-26T02:18:47.123456Z\"", "\"created_at\":null" },
    { "\\n\xe6\x94\xaf", "\\u000a\xe6\x94\xaf" },                          /* escape spelled otherwise */
    { "\xe6\x94\xaf", "\\u652f" },
    { "\"key_id\":\"k1\",\"matched_at\"", "\"matched_at\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(GString) text = g_string_new (expected_text);
      g_autoptr(UsdtpayReceipt) receipt = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (strstr (text->str, edits[i].from));
      g_string_replace (text, edits[i].from, edits[i].to, 1);
      receipt = usdtpay_receipt_parse (text->str, text->len, &error);
      if (receipt != NULL)
        g_error ("edit %u was accepted: %s", i, text->str);
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
    }

  /* Members in another order: valid JSON, same content, not canonical. */
  {
    const char *swapped = "{\"completed_at\":\"2026-11-26T02:20:00.000003Z\",\"amount\":\"1234.500000\",";
    g_autoptr(GString) text = g_string_new (expected_text);
    g_autoptr(GError) error = NULL;

    g_string_replace (text, "{\"amount\":\"1234.500000\",\"completed_at\":\"2026-11-26T02:20:00.000003Z\",",
                      swapped, 1);
    g_assert_null (usdtpay_receipt_parse (text->str, text->len, &error));
    g_assert_nonnull (strstr (error->message, "canonical"));
  }
}

static void
test_sign_verify (void)
{
  guint8 public_key[32], secret_key[64];
  g_autofree char *public_hex = NULL;
  g_autofree char *signature = NULL;
  g_autoptr(UsdtpayKeySet) set = usdtpay_key_set_new ();
  g_autoptr(UsdtpayReceipt) verified = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = strlen (expected_text);

  seed_keypair (0, public_key, secret_key);
  public_hex = usdtpay_receipt_hex_encode (public_key, 32);
  g_assert_cmpstr (public_hex, ==, expected_public);

  signature = usdtpay_ed25519_sign_hex (secret_key, expected_text, length);
  g_assert_cmpstr (signature, ==, expected_signature);
  g_assert_true (usdtpay_ed25519_verify_hex (public_key, expected_text, length, signature, NULL));

  g_assert_true (usdtpay_key_set_add (set, "k1", public_key, 1, NULL, NULL));
  verified = usdtpay_receipt_verify (set, expected_text, length, signature, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (verified->id, ==, "ord_0123456789abcdefghjk");

  /* Any one changed byte of the text or the signature is refused. */
  for (gsize i = 0; i < length; i++)
    {
      g_autofree char *copy = g_strdup (expected_text);

      copy[i] ^= 0x01;
      g_assert_false (usdtpay_ed25519_verify_hex (public_key, copy, length, signature, NULL));
    }
  for (gsize i = 0; i < 128; i++)
    {
      g_autofree char *copy = g_strdup (signature);
      g_autoptr(GError) local_error = NULL;

      copy[i] = copy[i] == '0' ? '1' : '0';
      g_assert_null (usdtpay_receipt_verify (set, expected_text, length, copy, &local_error));
      g_assert_error (local_error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
    }
  g_assert_false (usdtpay_ed25519_verify_hex (public_key, expected_text, length, "00", NULL));
  g_assert_false (usdtpay_ed25519_verify_hex (public_key, expected_text, length, NULL, NULL));

  /* A receipt naming a key the set does not have. */
  {
    g_autoptr(UsdtpayReceipt) receipt = fixed_receipt ();
    g_autofree char *text = NULL;
    g_autofree char *sig = NULL;
    g_autoptr(GError) local_error = NULL;

    g_free (receipt->key_id);
    receipt->key_id = g_strdup ("k9");
    text = usdtpay_receipt_encode (receipt, &length);
    sig = usdtpay_ed25519_sign_hex (secret_key, text, length);
    g_assert_null (usdtpay_receipt_verify (set, text, length, sig, &local_error));
    g_assert_nonnull (strstr (local_error->message, "k9"));
  }
}

static UsdtpayKeySet *
make_chain (guint n)
{
  UsdtpayKeySet *set = usdtpay_key_set_new ();
  guint8 previous_secret[64];

  for (guint i = 0; i < n; i++)
    {
      guint8 public_key[32], secret_key[64];
      g_autofree char *id = g_strdup_printf ("k%u", i + 1);

      seed_keypair ((guint8)(i * 40), public_key, secret_key);
      g_assert_true (usdtpay_key_set_add (set, id, public_key, 1000 + i * 10,
                                          i == 0 ? NULL : previous_secret, NULL));
      memcpy (previous_secret, secret_key, 64);
    }

  return set;
}

static void
test_key_set_chain (void)
{
  g_autoptr(UsdtpayKeySet) set = make_chain (3);
  g_autoptr(UsdtpayKeySet) back = NULL;
  g_autofree char *json = NULL;
  g_autofree char *again = NULL;
  gsize length = 0;

  g_assert_true (usdtpay_key_set_verify (set, NULL));
  g_assert_cmpint (((UsdtpayPlatformKey *)set->keys->pdata[0])->valid_until, ==, 1010);
  g_assert_cmpint (((UsdtpayPlatformKey *)set->keys->pdata[2])->valid_until, ==, 0);
  g_assert_null (((UsdtpayPlatformKey *)set->keys->pdata[0])->endorsement);

  json = usdtpay_key_set_to_json (set, &length);
  back = usdtpay_key_set_parse (json, length, NULL);
  g_assert_nonnull (back);
  g_assert_true (usdtpay_key_set_verify (back, NULL));
  again = usdtpay_key_set_to_json (back, NULL);
  g_assert_cmpstr (again, ==, json);
  g_assert_nonnull (usdtpay_key_set_lookup (back, "k2"));
  g_assert_null (usdtpay_key_set_lookup (back, "k4"));

  /* Breaks of the chain. */
  {
    g_autoptr(UsdtpayKeySet) bad = usdtpay_key_set_copy (set);
    UsdtpayPlatformKey *k2 = bad->keys->pdata[1];
    g_autoptr(GError) error = NULL;

    k2->endorsement[0] = k2->endorsement[0] == 'a' ? 'b' : 'a';
    g_assert_false (usdtpay_key_set_verify (bad, &error));
    g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT);
  }
  {
    /* The endorsement covers valid_from. */
    g_autoptr(UsdtpayKeySet) bad = usdtpay_key_set_copy (set);
    g_autoptr(GError) error = NULL;

    ((UsdtpayPlatformKey *)bad->keys->pdata[2])->valid_from += 1;
    g_assert_false (usdtpay_key_set_verify (bad, &error));
  }
  {
    /* Dropping a middle key leaves k3 endorsed by a key that is not before it. */
    g_autoptr(UsdtpayKeySet) bad = usdtpay_key_set_copy (set);

    g_ptr_array_remove_index (bad->keys, 1);
    g_assert_false (usdtpay_key_set_verify (bad, NULL));
  }
  {
    g_autoptr(UsdtpayKeySet) bad = usdtpay_key_set_copy (set);
    UsdtpayPlatformKey *k1 = bad->keys->pdata[0];

    k1->endorsement = g_strdup (((UsdtpayPlatformKey *)bad->keys->pdata[1])->endorsement);
    g_assert_false (usdtpay_key_set_verify (bad, NULL));
  }
  {
    g_autoptr(UsdtpayKeySet) bad = usdtpay_key_set_copy (set);
    UsdtpayPlatformKey *k3 = bad->keys->pdata[2];

    g_free (k3->id);
    k3->id = g_strdup ("k1");
    g_assert_false (usdtpay_key_set_verify (bad, NULL));
  }
  {
    g_autoptr(UsdtpayKeySet) empty = usdtpay_key_set_new ();

    g_assert_false (usdtpay_key_set_verify (empty, NULL));
  }

  /* Adding needs the last key's secret. */
  {
    g_autoptr(UsdtpayKeySet) copy = usdtpay_key_set_copy (set);
    guint8 public_key[32], secret_key[64], wrong_public[32], wrong_secret[64];

    seed_keypair (200, public_key, secret_key);
    seed_keypair (0, wrong_public, wrong_secret);   /* k1's, not k3's */
    g_assert_false (usdtpay_key_set_add (copy, "k4", public_key, 2000, wrong_secret, NULL));
    g_assert_false (usdtpay_key_set_add (copy, "k4", public_key, 2000, NULL, NULL));
    g_assert_cmpuint (copy->keys->len, ==, 3);
  }

  /* Parsing refuses what is not a key set. */
  {
    static const char * const bad[] = {
      "{}",
      "{\"keys\":{}}",
      "{\"keys\":[1]}",
      "{\"keys\":[{\"id\":\"k\",\"public_key\":\"00\",\"valid_from\":\"2026-01-01T00:00:00.000000Z\",\"valid_until\":null,\"endorsement\":null}]}",
      "{\"keys\":[{\"id\":\"k\",\"public_key\":\"" "0000000000000000000000000000000000000000000000000000000000000000"
        "\",\"valid_from\":\"2026-01-01T00:00:00.000000Z\",\"valid_until\":null}]}",
      "{\"keys\":[{\"id\":\"k\",\"public_key\":\"" "0000000000000000000000000000000000000000000000000000000000000000"
        "\",\"valid_from\":\"2026-01-01T00:00:00.000000Z\",\"valid_until\":null,\"endorsement\":null,\"x\":1}]}",
      "{\"keys\":[],\"keys\":[]}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(UsdtpayKeySet) parsed = usdtpay_key_set_parse (bad[i], strlen (bad[i]), NULL);

        if (parsed != NULL)
          g_error ("key set %u was accepted", i);
      }
  }
}

static void
test_key_set_successor (void)
{
  g_autoptr(UsdtpayKeySet) pinned = make_chain (1);
  g_autoptr(UsdtpayKeySet) two = make_chain (2);
  g_autoptr(UsdtpayKeySet) three = make_chain (3);
  g_autoptr(GError) error = NULL;

  g_assert_true (usdtpay_key_set_is_successor (pinned, pinned, NULL));
  g_assert_true (usdtpay_key_set_is_successor (pinned, two, NULL));
  g_assert_true (usdtpay_key_set_is_successor (pinned, three, NULL));
  g_assert_true (usdtpay_key_set_is_successor (two, three, NULL));
  g_assert_false (usdtpay_key_set_is_successor (three, two, NULL));

  /* A fresh chain that does not start with the pinned key. */
  {
    g_autoptr(UsdtpayKeySet) other = usdtpay_key_set_new ();
    guint8 public_key[32], secret_key[64];

    seed_keypair (99, public_key, secret_key);
    g_assert_true (usdtpay_key_set_add (other, "k1", public_key, 1000, NULL, NULL));
    g_assert_false (usdtpay_key_set_is_successor (pinned, other, &error));
    g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_CORRUPT);
    g_clear_error (&error);
  }

  /* A second key not endorsed by the pinned one (signed by itself). */
  {
    g_autoptr(UsdtpayKeySet) forged = usdtpay_key_set_copy (pinned);
    UsdtpayPlatformKey *key = g_new0 (UsdtpayPlatformKey, 1);
    guint8 secret_key[64];
    g_autofree char *text = NULL;
    gsize length = 0;

    seed_keypair (77, key->public_key, secret_key);
    key->id = g_strdup ("k2");
    key->valid_from = 5000;
    text = usdtpay_key_endorsement_text (key, &length);
    key->endorsement = usdtpay_ed25519_sign_hex (secret_key, text, length);
    g_ptr_array_add (forged->keys, key);
    g_assert_false (usdtpay_key_set_is_successor (pinned, forged, NULL));
  }

  /* The pinned key's retirement may be set, not changed afterwards. */
  {
    g_autoptr(UsdtpayKeySet) moved = usdtpay_key_set_copy (three);

    ((UsdtpayPlatformKey *)moved->keys->pdata[0])->valid_until += 1;
    g_assert_false (usdtpay_key_set_is_successor (two, moved, NULL));
  }
}

static void
test_hex (void)
{
  guint8 out[2];

  g_assert_true (usdtpay_receipt_hex_decode ("aBff", out, 2));
  g_assert_cmpuint (out[0], ==, 0xab);
  g_assert_false (usdtpay_receipt_hex_decode ("aBf", out, 2));
  g_assert_false (usdtpay_receipt_hex_decode ("aBfg", out, 2));
  g_assert_false (usdtpay_receipt_hex_decode ("aBff00", out, 2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/receipt/encoding-fixed-bytes", test_encoding_fixed_bytes);
  g_test_add_func ("/core/receipt/parse-refuses", test_parse_refuses);
  g_test_add_func ("/core/receipt/sign-verify", test_sign_verify);
  g_test_add_func ("/core/receipt/key-set-chain", test_key_set_chain);
  g_test_add_func ("/core/receipt/key-set-successor", test_key_set_successor);
  g_test_add_func ("/core/receipt/hex", test_hex);

  return g_test_run ();
}
