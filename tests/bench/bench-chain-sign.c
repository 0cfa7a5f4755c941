/* bench-chain-sign.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The chain library's signing and hashing throughput, with anchors run in
 * the same process: nettle's own SHA3-256 for our Keccak-256 (built on
 * nettle's permutation) and libsecp256k1 called directly for our
 * signatures and recoveries, so the figures read as overhead ratios.
 *
 * Each measurement repeats a round of work until it has used --seconds of
 * CPU time; a round checks what it computed, so nothing is measured that
 * was not done right: the hash chains end on digests computed by
 * independent implementations (ethers' keccak256 and Python's
 * hashlib.sha3_256), every signature equals the one libsecp256k1 made
 * directly for that digest (RFC 6979 makes them deterministic), the first
 * transfer equals ethers' serialisation, and every recovery yields the
 * signer's key or address. Rates are per second of this thread's CPU time,
 * and our code and its anchor run a round each in turn, so load elsewhere
 * on the machine falls on both sides; the ratios are the medians of each
 * repeat's ratio. Prints `name=value` lines; exits non-zero on the first
 * wrong result.
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nettle/sha3.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "usdtpay-chain.h"

/* Anvil's second development key; its address is checked at start. */
#define SIGNER_KEY     "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
#define SIGNER_ADDRESS "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define TOKEN_ADDRESS  "0x5FbDB2315678afecb367f032d93F642f64180aa3"
#define ESCROW_ADDRESS "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
#define CHAIN_ID       31337
#define TRANSFER_BASE  1000001

/* The first token transfer of a batch (nonce 0, amount 1000001), signed by
 * ethers 6 (Transaction.from + SigningKey.sign) with the same key.
 */
#define ETHERS_TRANSFER_0 \
  "0x02f8b2827a6980843b9aca008477359400830186a0945fbdb2315678afecb367f032d93f642f64180aa380b844" \
  "a9059cbb0000000000000000000000003c44cdddb6a900fa2b585dd299e03d12fa4293bc000000000000000000" \
  "00000000000000000000000000000000000000000f4241c080a098337308d3bf2fd2ab8de584d29350d1ff25ae" \
  "6c329201186faf4bfbd8d71b4aa032e0129e5c9534d3581666b2528145bc6d78d8948311981d71fbe7787959b594"

/* Hash chains: h ← H(h) 1000 times from 32 zero bytes; and 64 hashes of a
 * 1 KiB buffer (byte j = j mod 256), each digest written back into the
 * buffer at slot k mod 32. The expected last digests come from ethers'
 * keccak256 and Python's hashlib.sha3_256.
 */
#define CHAIN32_LENGTH   1000
#define CHAIN1K_LENGTH   64
#define CHAIN1K_SIZE     1024
#define KECCAK_CHAIN32   "0x2753f483089f9c0c15f83873ae82f3523b900b7d8fc6d9d58abea890cb6c7788"
#define KECCAK_CHAIN1K   "0xaf977fc1ce40b21d11738968fd09fc2fdf44c855676bf8c47c167282d869bed0"
#define SHA3_CHAIN32     "0x52cf48e88ce4dea40f272b6aaf083675ade26504a0129f51ec30204a2fdb1c5b"
#define SHA3_CHAIN1K     "0x83c9309765dba6578ef59318e9308964e8246d7fa24a6ac14d6e9be1ecea01e1"

/* Digests, messages and transactions signed per round. */
#define BATCH 128

typedef enum
{
  M_KECCAK32,
  M_SHA3_32,
  M_KECCAK1K,
  M_SHA3_1K,
  M_SIGN,
  M_SIGN_DIRECT,
  M_RECOVER,
  M_RECOVER_DIRECT,
  M_EIP191_SIGN,
  M_EIP191_RECOVER,
  M_EIP1559_SIGN,
  M_EIP1559_RECOVER,
  N_MEASURES
} Measure;

typedef struct
{
  secp256k1_context *ctx;
  UsdtpayKey *key;
  guint8 secret[32];
  guint8 public_key[65]; /* 0x04 ‖ X ‖ Y */
  UsdtpayAddress token;
  UsdtpayAddress escrow;

  guint8 keccak_chain32[32];
  guint8 keccak_chain1k[32];
  guint8 sha3_chain32[32];
  guint8 sha3_chain1k[32];
  guint8 pattern1k[CHAIN1K_SIZE];

  guint8 digests[BATCH][32];
  UsdtpaySignature signatures[BATCH];      /* libsecp256k1's, made at setup */
  char *messages[BATCH];
  UsdtpaySignature message_signatures[BATCH];
  GBytes *calldata[BATCH];
  GBytes *transactions[BATCH];
} Bench;

static void fail (const char *format,
                  ...) G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN;

static void
fail (const char *format,
      ...)
{
  va_list args;

  va_start (args, format);
  fputs ("bench-chain-sign: wrong result: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
  exit (EXIT_FAILURE);
}

static void
check_no_error (GError     *error,
                const char *what)
{
  if (error != NULL)
    fail ("%s: %s", what, error->message);
}

static void
decode_fixed (const char *hex,
              guint8     *out,
              gsize       len)
{
  g_autoptr(GError) error = NULL;

  if (!usdtpay_hex_decode_fixed (hex, out, len, &error))
    fail ("constant %s: %s", hex, error->message);
}

static void
signature_from_compact (UsdtpaySignature                            *out,
                        const secp256k1_ecdsa_recoverable_signature *sig)
{
  guint8 compact[64];
  int recid = 0;

  secp256k1_ecdsa_recoverable_signature_serialize_compact (secp256k1_context_static, compact,
                                                           &recid, sig);
  memcpy (out->r, compact, 32);
  memcpy (out->s, compact + 32, 32);
  out->recovery_id = (guint8)recid;
}

static gboolean
signature_equal (const UsdtpaySignature *a,
                 const UsdtpaySignature *b)
{
  return memcmp (a->r, b->r, 32) == 0 && memcmp (a->s, b->s, 32) == 0 &&
         a->recovery_id == b->recovery_id;
}

static void
direct_sign (Bench            *b,
             const guint8      hash[32],
             UsdtpaySignature *out)
{
  secp256k1_ecdsa_recoverable_signature sig;

  if (!secp256k1_ecdsa_sign_recoverable (b->ctx, &sig, hash, b->secret, NULL, NULL))
    fail ("libsecp256k1 refused to sign");
  signature_from_compact (out, &sig);
}

/* Rounds. Each returns how many operations it did. ------------------- */

static guint
round_keccak32 (Bench *b)
{
  guint8 h[32] = { 0 };
  guint8 next[32];

  for (guint i = 0; i < CHAIN32_LENGTH; i++)
    {
      usdtpay_keccak256 (h, sizeof h, next);
      memcpy (h, next, sizeof h);
    }
  if (memcmp (h, b->keccak_chain32, 32) != 0)
    fail ("the Keccak-256 chain over 32-byte inputs does not end on ethers' digest");
  return CHAIN32_LENGTH;
}

static guint
round_sha3_32 (Bench *b)
{
  struct sha3_256_ctx ctx;
  guint8 h[32] = { 0 };

  for (guint i = 0; i < CHAIN32_LENGTH; i++)
    {
      sha3_256_init (&ctx);
      sha3_256_update (&ctx, sizeof h, h);
      sha3_256_digest (&ctx, sizeof h, h);
    }
  if (memcmp (h, b->sha3_chain32, 32) != 0)
    fail ("nettle's SHA3-256 chain over 32-byte inputs does not end on hashlib's digest");
  return CHAIN32_LENGTH;
}

static guint
round_keccak1k (Bench *b)
{
  guint8 buf[CHAIN1K_SIZE];
  guint8 d[32];

  memcpy (buf, b->pattern1k, sizeof buf);
  for (guint k = 0; k < CHAIN1K_LENGTH; k++)
    {
      usdtpay_keccak256 (buf, sizeof buf, d);
      memcpy (buf + (k % 32) * 32, d, 32);
    }
  if (memcmp (d, b->keccak_chain1k, 32) != 0)
    fail ("the Keccak-256 chain over 1 KiB inputs does not end on ethers' digest");
  return CHAIN1K_LENGTH;
}

static guint
round_sha3_1k (Bench *b)
{
  struct sha3_256_ctx ctx;
  guint8 buf[CHAIN1K_SIZE];
  guint8 d[32];

  memcpy (buf, b->pattern1k, sizeof buf);
  for (guint k = 0; k < CHAIN1K_LENGTH; k++)
    {
      sha3_256_init (&ctx);
      sha3_256_update (&ctx, sizeof buf, buf);
      sha3_256_digest (&ctx, sizeof d, d);
      memcpy (buf + (k % 32) * 32, d, 32);
    }
  if (memcmp (d, b->sha3_chain1k, 32) != 0)
    fail ("nettle's SHA3-256 chain over 1 KiB inputs does not end on hashlib's digest");
  return CHAIN1K_LENGTH;
}

static guint
round_sign (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      UsdtpaySignature sig;

      usdtpay_key_sign_hash (b->key, b->digests[i], &sig, &error);
      check_no_error (error, "usdtpay_key_sign_hash");
      if (!signature_equal (&sig, &b->signatures[i]))
        fail ("signature %u differs from libsecp256k1's", i);
    }
  return BATCH;
}

static guint
round_sign_direct (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      UsdtpaySignature sig;

      direct_sign (b, b->digests[i], &sig);
      if (!signature_equal (&sig, &b->signatures[i]))
        fail ("libsecp256k1 signed digest %u differently the second time", i);
    }
  return BATCH;
}

static guint
round_recover (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 public_key[64];

      usdtpay_secp256k1_recover (b->digests[i], &b->signatures[i], public_key, &error);
      check_no_error (error, "usdtpay_secp256k1_recover");
      if (memcmp (public_key, b->public_key + 1, 64) != 0)
        fail ("signature %u recovers to another key", i);
    }
  return BATCH;
}

static guint
round_recover_direct (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      const UsdtpaySignature *s = &b->signatures[i];
      secp256k1_ecdsa_recoverable_signature sig;
      secp256k1_pubkey pubkey;
      guint8 compact[64];
      guint8 out[65];
      size_t len = sizeof out;

      memcpy (compact, s->r, 32);
      memcpy (compact + 32, s->s, 32);
      if (!secp256k1_ecdsa_recoverable_signature_parse_compact (secp256k1_context_static, &sig,
                                                                compact, s->recovery_id) ||
          !secp256k1_ecdsa_recover (secp256k1_context_static, &pubkey, &sig, b->digests[i]))
        fail ("libsecp256k1 recovers nothing from signature %u", i);
      secp256k1_ec_pubkey_serialize (secp256k1_context_static, out, &len, &pubkey,
                                     SECP256K1_EC_UNCOMPRESSED);
      if (len != sizeof out || memcmp (out, b->public_key, sizeof out) != 0)
        fail ("libsecp256k1 recovers signature %u to another key", i);
    }
  return BATCH;
}

static guint
round_eip191_sign (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      UsdtpaySignature sig;

      usdtpay_message_sign (b->key, (const guint8 *)b->messages[i], strlen (b->messages[i]), &sig,
                            &error);
      check_no_error (error, "usdtpay_message_sign");
      if (!signature_equal (&sig, &b->message_signatures[i]))
        fail ("the signature of message %u differs from libsecp256k1's over its EIP-191 hash", i);
    }
  return BATCH;
}

static guint
round_eip191_recover (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      UsdtpayAddress address;

      usdtpay_message_recover ((const guint8 *)b->messages[i], strlen (b->messages[i]),
                               &b->message_signatures[i], &address, &error);
      check_no_error (error, "usdtpay_message_recover");
      if (!usdtpay_address_equal (&address, usdtpay_key_get_address (b->key)))
        fail ("message %u recovers to another address", i);
    }
  return BATCH;
}

static void
transfer_transaction (Bench              *b,
                      guint               i,
                      UsdtpayTransaction *tx)
{
  usdtpay_transaction_init (tx, USDTPAY_TRANSACTION_EIP1559);
  tx->chain_id = CHAIN_ID;
  tx->nonce = i;
  usdtpay_uint256_set_uint64 (&tx->max_priority_fee_per_gas, G_GUINT64_CONSTANT (1000000000));
  usdtpay_uint256_set_uint64 (&tx->max_fee_per_gas, G_GUINT64_CONSTANT (2000000000));
  tx->gas_limit = 100000;
  tx->has_to = TRUE;
  tx->to = b->token;
}

/* Builds the transfer's calldata, signs and serialises it: what the
 * platform's sender does for a withdrawal.
 */
static guint
round_eip1559_sign (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_auto(UsdtpayTransaction) tx = { 0 };
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) data = NULL;
      g_autoptr(GBytes) raw = NULL;
      UsdtpayUint256 amount;

      usdtpay_uint256_set_uint64 (&amount, TRANSFER_BASE + i);
      data = usdtpay_abi_encode_transfer (&b->escrow, &amount);
      transfer_transaction (b, i, &tx);
      usdtpay_transaction_set_data (&tx, data);
      raw = usdtpay_transaction_sign (&tx, b->key, &error);
      check_no_error (error, "usdtpay_transaction_sign");
      if (!g_bytes_equal (raw, b->transactions[i]))
        fail ("transaction %u is serialised differently each time", i);
    }
  return BATCH;
}

/* Decodes a raw transaction and recovers its sender: what a node does. */
static guint
round_eip1559_recover (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_auto(UsdtpayTransaction) tx = { 0 };
      g_autoptr(GError) error = NULL;
      UsdtpaySignature sig;
      UsdtpayAddress sender;
      gsize len;
      const guint8 *raw = g_bytes_get_data (b->transactions[i], &len);

      usdtpay_transaction_decode (&tx, raw, len, &sig, &error);
      check_no_error (error, "usdtpay_transaction_decode");
      usdtpay_transaction_recover_sender (&tx, &sig, &sender, &error);
      check_no_error (error, "usdtpay_transaction_recover_sender");
      if (tx.type != USDTPAY_TRANSACTION_EIP1559 || tx.chain_id != CHAIN_ID || tx.nonce != i ||
          !tx.has_to || !usdtpay_address_equal (&tx.to, &b->token) || tx.data == NULL ||
          !g_bytes_equal (tx.data, b->calldata[i]))
        fail ("transaction %u decodes to other fields", i);
      if (!usdtpay_address_equal (&sender, usdtpay_key_get_address (b->key)))
        fail ("transaction %u recovers to another sender", i);
    }
  return BATCH;
}

/* Setup ------------------------------------------------------------------ */

static void
setup_references (Bench *b)
{
  static const char eip191_prefix[] = "\x19" "Ethereum Signed Message:\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  secp256k1_pubkey pubkey;
  size_t len = sizeof b->public_key;
  guint8 seed[32];

  b->key = usdtpay_key_new_from_hex (SIGNER_KEY, &error);
  check_no_error (error, "usdtpay_key_new_from_hex");
  usdtpay_key_copy_secret (b->key, b->secret);
  address = usdtpay_key_dup_address_string (b->key);
  if (g_strcmp0 (address, SIGNER_ADDRESS) != 0)
    fail ("the key's address is %s, not %s", address, SIGNER_ADDRESS);
  if (!usdtpay_address_parse (&b->token, TOKEN_ADDRESS, &error) ||
      !usdtpay_address_parse (&b->escrow, ESCROW_ADDRESS, &error))
    check_no_error (error, "usdtpay_address_parse");

  /* The anchor's context, randomised like the library's. */
  b->ctx = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = (guint8)g_random_int ();
  if (!secp256k1_context_randomize (b->ctx, seed))
    fail ("secp256k1_context_randomize");
  if (!secp256k1_ec_pubkey_create (b->ctx, &pubkey, b->secret))
    fail ("secp256k1_ec_pubkey_create");
  secp256k1_ec_pubkey_serialize (secp256k1_context_static, b->public_key, &len, &pubkey,
                                 SECP256K1_EC_UNCOMPRESSED);
  if (len != sizeof b->public_key ||
      memcmp (b->public_key + 1, usdtpay_key_get_public_key (b->key), 64) != 0)
    fail ("the key's public key differs from libsecp256k1's");

  decode_fixed (KECCAK_CHAIN32, b->keccak_chain32, 32);
  decode_fixed (KECCAK_CHAIN1K, b->keccak_chain1k, 32);
  decode_fixed (SHA3_CHAIN32, b->sha3_chain32, 32);
  decode_fixed (SHA3_CHAIN1K, b->sha3_chain1k, 32);
  for (guint j = 0; j < CHAIN1K_SIZE; j++)
    b->pattern1k[j] = (guint8)j;

  for (guint i = 0; i < BATCH; i++)
    {
      guint8 counter[8];
      UsdtpayKeccak ctx;
      char decimal[32];

      /* Digests: Keccak-256 of the little-endian counter. */
      for (guint k = 0; k < sizeof counter; k++)
        counter[k] = (guint8)((guint64)i >> (8 * k));
      usdtpay_keccak256 (counter, sizeof counter, b->digests[i]);
      direct_sign (b, b->digests[i], &b->signatures[i]);

      /* A registration message as the platform issues them, and its
       * signature made directly over the EIP-191 hash built by hand.
       */
      b->messages[i] = g_strdup_printf ("UsdtPay wallet registration\n"
                                        "Account: merchant%u\n"
                                        "Platform: %s\n"
                                        "Nonce: %08x%08x%08x%08x\n"
                                        "Issued: 2026-11-26T05:00:00Z",
                                        i, ESCROW_ADDRESS, g_random_int (), g_random_int (),
                                        g_random_int (), g_random_int ());
      g_snprintf (decimal, sizeof decimal, "%" G_GSIZE_FORMAT, strlen (b->messages[i]));
      usdtpay_keccak_init (&ctx);
      usdtpay_keccak_update (&ctx, (const guint8 *)eip191_prefix, strlen (eip191_prefix));
      usdtpay_keccak_update (&ctx, (const guint8 *)decimal, strlen (decimal));
      usdtpay_keccak_update (&ctx, (const guint8 *)b->messages[i], strlen (b->messages[i]));
      {
        guint8 hash[32];

        usdtpay_keccak_finish (&ctx, hash);
        direct_sign (b, hash, &b->message_signatures[i]);
      }

      /* The token transfers; the first must equal ethers' serialisation. */
      {
        g_auto(UsdtpayTransaction) tx = { 0 };
        UsdtpayUint256 amount;

        usdtpay_uint256_set_uint64 (&amount, TRANSFER_BASE + i);
        b->calldata[i] = usdtpay_abi_encode_transfer (&b->escrow, &amount);
        transfer_transaction (b, i, &tx);
        usdtpay_transaction_set_data (&tx, b->calldata[i]);
        b->transactions[i] = usdtpay_transaction_sign (&tx, b->key, &error);
        check_no_error (error, "usdtpay_transaction_sign");
      }
    }

  {
    g_autofree char *first = usdtpay_hex_encode_bytes (b->transactions[0]);

    if (g_strcmp0 (first, ETHERS_TRANSFER_0) != 0)
      fail ("the first transfer is %s, ethers made %s", first, ETHERS_TRANSFER_0);
  }
}

static void
teardown (Bench *b)
{
  for (guint i = 0; i < BATCH; i++)
    {
      g_free (b->messages[i]);
      g_bytes_unref (b->calldata[i]);
      g_bytes_unref (b->transactions[i]);
    }
  secp256k1_context_destroy (b->ctx);
  g_clear_object (&b->key);
}

/* Measuring --------------------------------------------------------------- */

typedef guint (*RoundFunc) (Bench *b);

static const struct
{
  RoundFunc round;
  const char *name;
  gsize input_size;  /* bytes hashed per operation, or 0 */
} measures[N_MEASURES] = {
  [M_KECCAK32] = { round_keccak32, "keccak256_32B", 32 },
  [M_SHA3_32] = { round_sha3_32, "nettle_sha3_256_32B", 32 },
  [M_KECCAK1K] = { round_keccak1k, "keccak256_1KiB", CHAIN1K_SIZE },
  [M_SHA3_1K] = { round_sha3_1k, "nettle_sha3_256_1KiB", CHAIN1K_SIZE },
  [M_SIGN] = { round_sign, "secp256k1_sign", 0 },
  [M_SIGN_DIRECT] = { round_sign_direct, "libsecp256k1_sign", 0 },
  [M_RECOVER] = { round_recover, "secp256k1_recover", 0 },
  [M_RECOVER_DIRECT] = { round_recover_direct, "libsecp256k1_recover", 0 },
  [M_EIP191_SIGN] = { round_eip191_sign, "eip191_sign", 0 },
  [M_EIP191_RECOVER] = { round_eip191_recover, "eip191_recover", 0 },
  [M_EIP1559_SIGN] = { round_eip1559_sign, "eip1559_transfer_sign", 0 },
  [M_EIP1559_RECOVER] = { round_eip1559_recover, "eip1559_transfer_recover", 0 },
};

/* Our figure and the anchor it is read against. */
static const struct
{
  Measure ours;
  Measure anchor;
  const char *name;
} ratios[] = {
  { M_KECCAK32, M_SHA3_32, "keccak256_32B_vs_nettle_sha3_ratio" },
  { M_KECCAK1K, M_SHA3_1K, "keccak256_1KiB_vs_nettle_sha3_ratio" },
  { M_SIGN, M_SIGN_DIRECT, "secp256k1_sign_vs_libsecp256k1_ratio" },
  { M_RECOVER, M_RECOVER_DIRECT, "secp256k1_recover_vs_libsecp256k1_ratio" },
  { M_EIP191_SIGN, M_SIGN_DIRECT, "eip191_sign_vs_libsecp256k1_ratio" },
  { M_EIP191_RECOVER, M_RECOVER_DIRECT, "eip191_recover_vs_libsecp256k1_ratio" },
  { M_EIP1559_SIGN, M_SIGN_DIRECT, "eip1559_transfer_sign_vs_libsecp256k1_ratio" },
  { M_EIP1559_RECOVER, M_RECOVER_DIRECT, "eip1559_transfer_recover_vs_libsecp256k1_ratio" },
};

/* Measures read against the same anchor run interleaved, a round of each
 * in turn, so whatever else the machine does falls on all of them alike.
 */
static const Measure groups[][4] = {
  { M_KECCAK32, M_SHA3_32, N_MEASURES, N_MEASURES },
  { M_KECCAK1K, M_SHA3_1K, N_MEASURES, N_MEASURES },
  { M_SIGN, M_SIGN_DIRECT, M_EIP191_SIGN, M_EIP1559_SIGN },
  { M_RECOVER, M_RECOVER_DIRECT, M_EIP191_RECOVER, M_EIP1559_RECOVER },
};

/* The CPU time of this thread: other processes' load does not count. */
static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    g_error ("clock_gettime (CLOCK_THREAD_CPUTIME_ID): %s", g_strerror (errno));
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Rounds of each member of @group in turn until each has used @seconds of
 * CPU time (at least one round each); stores operations per CPU second in
 * @rates[m * @repeats + @r].
 */
static void
measure_group (Bench         *b,
               const Measure *group,
               double         seconds,
               int            repeats,
               int            r,
               double        *rates,
               guint64       *ops_total)
{
  gint64 limit = (gint64)(seconds * 1e9);
  gint64 spent[N_MEASURES] = { 0 };
  guint64 ops[N_MEASURES] = { 0 };
  gboolean done;

  do
    {
      done = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (groups[0]) && group[i] != N_MEASURES; i++)
        {
          Measure m = group[i];
          gint64 start = thread_cpu_ns ();

          ops[m] += measures[m].round (b);
          spent[m] += thread_cpu_ns () - start;
          if (spent[m] < limit)
            done = FALSE;
        }
    }
  while (!done);

  for (guint i = 0; i < G_N_ELEMENTS (groups[0]) && group[i] != N_MEASURES; i++)
    {
      Measure m = group[i];

      rates[m * repeats + r] = (double)ops[m] * 1e9 / (double)MAX (spent[m], 1);
      ops_total[m] += ops[m];
    }
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return (x > y) - (x < y);
}

static double
median (const double *values,
        guint         n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof *values);

  qsort (sorted, n, sizeof *sorted, compare_double);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void
emit (const char *name,
      const char *suffix,
      double      value,
      int         decimals)
{
  printf ("%s%s=%.*f\n", name, suffix, decimals, value);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  double seconds = 1.0;
  int repeats = 3;
  GOptionEntry entries[] = {
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      "CPU time each measurement runs for (default 1; 0 runs one round)", "S" },
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats,
      "Repeats of every measurement, the median reported (default 3)", "N" },
    { NULL }
  };
  Bench b = { 0 };
  g_autofree double *rates = NULL;
  guint64 ops[N_MEASURES] = { 0 };

  context = g_option_context_new ("— the chain library's hashing and signing throughput");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (seconds < 0 || seconds > 600 || repeats < 1 || repeats > 100)
    {
      g_printerr ("--seconds is 0 to 600 and --repeats 1 to 100\n");
      return EXIT_FAILURE;
    }

  setup_references (&b);

  rates = g_new0 (double, N_MEASURES * repeats);
  for (int r = 0; r < repeats; r++)
    for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
      measure_group (&b, groups[g], seconds, repeats, r, rates, ops);

  printf ("chain_sign_cpu_seconds_per_measure=%.3f\n", seconds);
  printf ("chain_sign_repeats=%d\n", repeats);
  for (guint m = 0; m < N_MEASURES; m++)
    {
      double rate = median (&rates[m * repeats], repeats);

      emit (measures[m].name, "_per_s", rate, 0);
      if (measures[m].input_size > 0)
        emit (measures[m].name, "_MB_per_s", rate * measures[m].input_size / 1e6, 1);
      printf ("%s_checked=%" G_GUINT64_FORMAT "\n", measures[m].name, ops[m]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (ratios); i++)
    {
      g_autofree double *each = g_new (double, repeats);

      for (int r = 0; r < repeats; r++)
        each[r] = rates[ratios[i].ours * repeats + r] / rates[ratios[i].anchor * repeats + r];
      emit (ratios[i].name, "", median (each, repeats), 3);
    }

  teardown (&b);
  return EXIT_SUCCESS;
}
