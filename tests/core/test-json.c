/* test-json.c
 *
 * Copyright 2026 UsdtPay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "usdtpay-core.h"

typedef struct
{
  const char *name;
  const char *data;
  gssize      length;   /* -1: up to the NUL */
  const char *reason;   /* what the refusal must say */
} Doc;

#define DOC(n, d) { n, d, -1, NULL }
#define N(n, r, d) { n, d, -1, r }
#define N_LEN(n, r, d) { n, d, sizeof (d) - 1, r }

/* Accepted documents, JSONTestSuite-style y_ cases. */
static const Doc accepted[] = {
  DOC ("y_object_empty", "{}"),
  DOC ("y_array_empty", "[]"),
  DOC ("y_array_empty_ws", " [ ] "),
  DOC ("y_object_simple", "{\"a\":1}"),
  DOC ("y_object_ws", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n"),
  DOC ("y_object_empty_key", "{\"\":0}"),
  DOC ("y_object_same_key_nested", "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}"),
  DOC ("y_object_keys_differ_by_escape", "{\"a\":1,\"a\\u0062\":2,\"\\u0062\":3}"),
  DOC ("y_object_long_key_list", "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
                                "\"k9\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
                                "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k20\":1}"),
  DOC ("y_string_empty", "\"\""),
  DOC ("y_string_simple", "\"abc\""),
  DOC ("y_string_escapes", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""),
  DOC ("y_string_u_escape", "\"\\u0041\\u00e9\\u4e2D\""),
  DOC ("y_string_surrogate_pair", "\"\\uD834\\uDD1E\""),
  DOC ("y_string_max_pair", "\"\\uDBFF\\uDFFF\""),
  DOC ("y_string_utf8_2", "\"\xc3\xa9\""),
  DOC ("y_string_utf8_3", "\"\xe4\xb8\xad\xe6\x96\x87\""),
  DOC ("y_string_utf8_4", "\"\xf0\x9f\x98\x80\""),
  DOC ("y_string_utf8_max", "\"\xf4\x8f\xbf\xbf\""),
  DOC ("y_string_utf8_before_surrogates", "\"\xed\x9f\xbf\""),
  DOC ("y_string_utf8_after_surrogates", "\"\xee\x80\x80\""),
  DOC ("y_string_u_escape_0001", "\"\\u0001\""),
  DOC ("y_string_del", "\"\x7f\""),
  DOC ("y_string_u_escape_fffe", "\"\\uFFFE\""),
  DOC ("y_number_0", "0"),
  DOC ("y_number_minus_0", "-0"),
  DOC ("y_number_int", "123"),
  DOC ("y_number_neg", "-123"),
  DOC ("y_number_frac", "1.5"),
  DOC ("y_number_minus_frac", "-0.5"),
  DOC ("y_number_exp", "1e5"),
  DOC ("y_number_exp_upper", "1E5"),
  DOC ("y_number_exp_plus", "1e+5"),
  DOC ("y_number_exp_minus", "1e-5"),
  DOC ("y_number_frac_exp", "1.25e-3"),
  DOC ("y_number_zero_exp", "0e0"),
  DOC ("y_number_int64_max", "9223372036854775807"),
  DOC ("y_number_int64_min", "-9223372036854775808"),
  DOC ("y_number_big_double", "1.7976931348623157e308"),
  DOC ("y_number_big_double_neg", "-1.7976931348623157e308"),
  DOC ("y_number_huge_as_float", "92233720368547758070.0"),
  DOC ("y_number_underflow", "1e-400"),
  DOC ("y_number_exp_leading_zeros", "1e007"),
  DOC ("y_literals", "[true,false,null]"),
  DOC ("y_top_true", "true"),
  DOC ("y_top_null", " null "),
  DOC ("y_nested_mixed", "{\"a\":[{\"b\":[null,{\"c\":\"d\"}]}]}"),
  DOC ("y_array_of_arrays", "[[],[[]],[[],[]]]"),
};

/* Refused documents, n_ cases for every refusal class. */
static const Doc refused[] = {
  /* empty, whitespace, trailing garbage */
  N ("n_empty", "empty document", ""),
  N ("n_only_ws", "empty document", " \n\t "),
  N ("n_trailing_garbage", "unexpected data after the value", "{}x"),
  N ("n_two_values", "unexpected data after the value", "{} {}"),
  N ("n_two_numbers", "unexpected data after the value", "1 2"),
  N ("n_trailing_comma_top", "unexpected data after the value", "[],"),
  N ("n_unclosed_object", "unexpected end of input, expected a member name in double quotes", "{"),
  N ("n_unclosed_array", "unexpected end of input, expected ',' or ']'", "[1"),
  N ("n_unclosed_array_comma", "unexpected end of input, expected a value", "[1,"),
  N ("n_unclosed_string", "unterminated string", "\"abc"),
  N ("n_close_only", "unexpected ']', expected a value", "]"),
  N ("n_mismatched", "unexpected '}', expected a value", "[}"),
  N ("n_bom", "unexpected byte 0xef, expected a value", "\xef\xbb\xbf{}"),
  N ("n_form_feed_ws", "unexpected byte 0x0c, expected a value", "\x0c[]"),
  N ("n_vertical_tab_ws", "unexpected byte 0x0b, expected a value", "[\x0b]"),
  N ("n_nbsp_ws", "unexpected byte 0xc2, expected a value", "[\xc2\xa0]"),
  /* NUL bytes */
  N_LEN ("n_nul_after", "NUL byte after the value", "{}\0"),
  N_LEN ("n_nul_before", "NUL byte, expected a value", "\0{}"),
  N_LEN ("n_nul_in_string", "NUL byte in string", "\"a\0b\""),
  N_LEN ("n_nul_in_array", "NUL byte, expected a value", "[1,\0]"),
  /* comments */
  N ("n_comment_line", "comments are not allowed", "{}// c"),
  N ("n_comment_block", "comments are not allowed", "/* c */{}"),
  N ("n_comment_inside", "comments are not allowed", "{\"a\":1/* c */}"),
  N ("n_comment_hash", "unexpected '#', expected ',' or '}'", "{\"a\":1 # c\n}"),
  /* single quotes and bare words */
  N ("n_single_quote_string", "single quotes are not allowed", "['a']"),
  N ("n_single_quote_key", "single quotes are not allowed", "{'a':1}"),
  N ("n_unquoted_key", "unexpected 'a', expected a member name in double quotes", "{a:1}"),
  N ("n_bare_word", "unexpected 'a', expected a value", "[abc]"),
  N ("n_True", "unexpected 'T', expected a value", "True"),
  N ("n_nul_word", "unexpected 'n', expected a value", "nul"),
  N ("n_truex", "unexpected data after the value", "truex"),
  N ("n_NaN", "unexpected 'N', expected a value", "NaN"),
  N ("n_Infinity", "unexpected 'I', expected a value", "[Infinity]"),
  N ("n_minus_Infinity", "a number needs digits", "[-Infinity]"),
  /* trailing commas and separators */
  N ("n_array_trailing_comma", "trailing comma", "[1,]"),
  N ("n_array_trailing_comma_ws", "trailing comma", "[1 , ]"),
  N ("n_object_trailing_comma", "trailing comma", "{\"a\":1,}"),
  N ("n_array_leading_comma", "unexpected ',', expected a value", "[,1]"),
  N ("n_array_double_comma", "unexpected ',', expected a value", "[1,,2]"),
  N ("n_array_only_comma", "unexpected ',', expected a value", "[,]"),
  N ("n_object_only_comma", "unexpected ',', expected a member name in double quotes", "{,}"),
  N ("n_object_missing_colon", "unexpected '1', expected ':'", "{\"a\" 1}"),
  N ("n_object_double_colon", "unexpected ':', expected a value", "{\"a\"::1}"),
  N ("n_object_missing_value", "unexpected '}', expected a value", "{\"a\":}"),
  N ("n_object_missing_comma", "unexpected '\"', expected ',' or '}'", "{\"a\":1 \"b\":2}"),
  N ("n_array_missing_comma", "unexpected '2', expected ',' or ']'", "[1 2]"),
  N ("n_object_key_number", "unexpected '1', expected a member name in double quotes", "{1:1}"),
  N ("n_object_semicolon", "unexpected ';', expected ',' or '}'", "{\"a\":1;\"b\":2}"),
  N ("n_array_colon", "unexpected ':', expected ',' or ']'", "[1:2]"),
  /* duplicate keys */
  N ("n_dup_key", "duplicate member name", "{\"a\":1,\"a\":2}"),
  N ("n_dup_key_same_value", "duplicate member name", "{\"a\":1,\"a\":1}"),
  N ("n_dup_key_escaped", "duplicate member name", "{\"a\":1,\"\\u0061\":2}"),
  N ("n_dup_key_escaped_both", "duplicate member name", "{\"\\u00e9\":1,\"\xc3\xa9\":2}"),
  N ("n_dup_key_slash", "duplicate member name", "{\"/\":1,\"\\/\":2}"),
  N ("n_dup_key_empty", "duplicate member name", "{\"\":1,\"\":2}"),
  N ("n_dup_key_nested", "duplicate member name", "{\"x\":{\"a\":1,\"b\":2,\"a\":3}}"),
  N ("n_dup_key_late", "duplicate member name", "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
                        "\"k9\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
                        "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k3\":1}"),
  N ("n_dup_key_first_after_many", "duplicate member name", "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
                                    "\"k9\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
                                    "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k1\":1}"),
  /* numbers */
  N ("n_number_leading_zero", "leading zeros are not allowed", "01"),
  N ("n_number_leading_zeros", "leading zeros are not allowed", "[00]"),
  N ("n_number_minus_leading_zero", "leading zeros are not allowed", "-01"),
  N ("n_number_leading_zero_frac", "leading zeros are not allowed", "00.5"),
  N ("n_number_minus_only", "a number needs digits", "-"),
  N ("n_number_minus_space", "a number needs digits", "- 1"),
  N ("n_number_minus_array", "a number needs digits", "[-]"),
  N ("n_number_plus", "a number must start with a digit or '-'", "+1"),
  N ("n_number_dot_end", "digits must follow the decimal point", "1."),
  N ("n_number_dot_end_array", "digits must follow the decimal point", "[1.]"),
  N ("n_number_dot_start", "a number must start with a digit or '-'", ".5"),
  N ("n_number_minus_dot", "a number needs digits", "-.5"),
  N ("n_number_dot_exp", "digits must follow the decimal point", "1.e5"),
  N ("n_number_exp_only", "digits must follow the exponent", "1e"),
  N ("n_number_exp_sign_only", "digits must follow the exponent", "1e+"),
  N ("n_number_exp_minus_only", "digits must follow the exponent", "[1E-]"),
  N ("n_number_double_exp", "unexpected data after the value", "1e5e5"),
  N ("n_number_hex", "unexpected data after the value", "0x1F"),
  N ("n_number_two_dots", "unexpected data after the value", "1.2.3"),
  N ("n_number_comma_decimal", "digits must follow the decimal point", "[1,5.]"),
  N ("n_number_int_overflow", "integer out of the 64-bit range", "9223372036854775808"),
  N ("n_number_int_underflow", "integer out of the 64-bit range", "-9223372036854775809"),
  N ("n_number_int_huge", "integer out of the 64-bit range", "123456789012345678901234567890"),
  N ("n_number_double_overflow", "number out of the range of a double", "1e309"),
  N ("n_number_double_overflow_neg", "number out of the range of a double", "-1e309"),
  N ("n_number_double_overflow_frac", "number out of the range of a double", "1.8e308"),
  N ("n_number_double_overflow_big_exp", "number out of the range of a double", "[1e99999999999999999999]"),
  N ("n_number_fullwidth", "unexpected byte 0xef, expected a value", "\xef\xbc\x91"),
  /* strings: control characters */
  N ("n_string_raw_newline", "control character 0x0a in string", "\"a\nb\""),
  N ("n_string_raw_tab", "control character 0x09 in string", "\"a\tb\""),
  N ("n_string_raw_cr", "control character 0x0d in string", "[\"\r\"]"),
  N ("n_string_raw_0x01", "control character 0x01 in string", "\"\x01\""),
  N ("n_string_raw_0x1f", "control character 0x1f in string", "\"\x1f\""),
  /* strings: escapes */
  N ("n_string_u0000", "\\u0000 is not allowed", "\"\\u0000\""),
  N ("n_string_u0000_key", "\\u0000 is not allowed", "{\"\\u0000\":1}"),
  N ("n_string_bad_escape", "invalid escape", "\"\\x41\""),
  N ("n_string_escape_quote_single", "invalid escape", "\"\\'\""),
  N ("n_string_escape_a", "invalid escape", "\"\\a\""),
  N ("n_string_escape_0", "invalid escape", "\"\\0\""),
  N ("n_string_escape_end", "unterminated string", "\"\\\""),
  N ("n_string_escape_truncated", "unterminated escape", "\"\\"),
  N ("n_string_u_short", "truncated \\u escape", "\"\\u12\""),
  N ("n_string_u_bad_hex", "bad hex digit in \\u escape", "\"\\u12G4\""),
  N ("n_string_U_upper", "invalid escape", "\"\\U0041\""),
  N ("n_string_u_truncated", "truncated \\u escape", "\"\\u004"),
  /* strings: surrogates */
  N ("n_lone_high_surrogate", "high surrogate \\uD800 without a low one", "\"\\uD800\""),
  N ("n_lone_high_surrogate_then_text", "high surrogate \\uD800 without a low one", "\"\\uD800abc\""),
  N ("n_lone_low_surrogate", "lone low surrogate \\uDC00", "\"\\uDC00\""),
  N ("n_swapped_surrogates", "lone low surrogate \\uDC00", "\"\\uDC00\\uD800\""),
  N ("n_high_high", "high surrogate \\uD800 followed by \\uD800", "\"\\uD800\\uD800\""),
  N ("n_high_then_bmp", "high surrogate \\uD800 followed by \\u0041", "\"\\uD800\\u0041\""),
  N ("n_high_then_escape", "high surrogate \\uD800 without a low one", "\"\\uD800\\n\""),
  N ("n_high_at_end", "high surrogate \\uDBFF without a low one", "\"\\uDBFF"),
  /* invalid UTF-8 */
  N ("n_utf8_continuation", "invalid UTF-8 (unexpected continuation byte)", "\"\x80\""),
  N ("n_utf8_lone_lead", "invalid UTF-8 (bad continuation byte)", "\"\xc3\""),
  N ("n_utf8_truncated_3", "invalid UTF-8 (bad continuation byte)", "\"\xe4\xb8\""),
  N ("n_utf8_truncated_4", "invalid UTF-8 (bad continuation byte)", "\"\xf0\x9f\x98\""),
  N ("n_utf8_overlong_2", "invalid UTF-8 (overlong encoding)", "\"\xc0\xaf\""),
  N ("n_utf8_overlong_2b", "invalid UTF-8 (overlong encoding)", "\"\xc1\xbf\""),
  N ("n_utf8_overlong_nul", "invalid UTF-8 (overlong encoding)", "\"\xc0\x80\""),
  N ("n_utf8_overlong_3", "invalid UTF-8 (overlong encoding)", "\"\xe0\x80\xaf\""),
  N ("n_utf8_overlong_3_max", "invalid UTF-8 (overlong encoding)", "\"\xe0\x9f\xbf\""),
  N ("n_utf8_overlong_4", "invalid UTF-8 (overlong encoding)", "\"\xf0\x80\x80\xaf\""),
  N ("n_utf8_overlong_4_max", "invalid UTF-8 (overlong encoding)", "\"\xf0\x8f\xbf\xbf\""),
  N ("n_utf8_surrogate_high", "invalid UTF-8 (encoded surrogate)", "\"\xed\xa0\x80\""),
  N ("n_utf8_surrogate_low", "invalid UTF-8 (encoded surrogate)", "\"\xed\xbf\xbf\""),
  N ("n_utf8_surrogate_pair", "invalid UTF-8 (encoded surrogate)", "\"\xed\xa0\xbd\xed\xb8\x80\""),
  N ("n_utf8_above_max", "invalid UTF-8 (beyond U+10FFFF)", "\"\xf4\x90\x80\x80\""),
  N ("n_utf8_f5", "invalid UTF-8 (byte 0xf5)", "\"\xf5\x80\x80\x80\""),
  N ("n_utf8_ff", "invalid UTF-8 (byte 0xff)", "\"\xff\""),
  N ("n_utf8_fe", "invalid UTF-8 (byte 0xfe)", "\"\xfe\""),
  N ("n_utf8_5_byte", "invalid UTF-8 (byte 0xf8)", "\"\xf8\x88\x80\x80\x80\""),
  N ("n_utf8_bad_second", "invalid UTF-8 (bad continuation byte)", "\"\xc3\x28\""),
  N ("n_utf8_bad_third", "invalid UTF-8 (bad continuation byte)", "\"\xe4\xb8\x28\""),
  N ("n_utf8_bad_fourth", "invalid UTF-8 (bad continuation byte)", "\"\xf0\x9f\x98\x28\""),
  N ("n_utf8_in_key", "invalid UTF-8 (byte 0xff)", "{\"\xff\":1}"),
  N ("n_utf8_outside_string", "unexpected byte 0xc3, expected a value", "[\xc3\xa9]"),
  N ("n_latin1", "invalid UTF-8 (truncated sequence)", "\"caf\xe9\""),
};

static void
check_refused (const Doc *doc)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  gsize length = doc->length < 0 ? strlen (doc->data) : (gsize)doc->length;

  if (usdtpay_json_validate (doc->data, length, &error))
    g_error ("%s: accepted", doc->name);
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
  if (strstr (error->message, "at byte ") == NULL)
    g_error ("%s: message without an offset: %s", doc->name, error->message);
  if (!g_str_has_suffix (error->message, doc->reason))
    g_error ("%s: refused for another reason: %s", doc->name, error->message);
  g_test_message ("%s: %s", doc->name, error->message);
  g_clear_error (&error);

  node = usdtpay_json_parse_strict (doc->data, length, &error);
  g_assert_null (node);
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
}

static void
test_accepted (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      const Doc *doc = &accepted[i];
      gsize length = doc->length < 0 ? strlen (doc->data) : (gsize)doc->length;

      if (!usdtpay_json_validate (doc->data, length, &error))
        g_error ("%s: refused: %s", doc->name, error->message);

      /* json-glib must take whatever we let through. */
      node = usdtpay_json_parse_strict (doc->data, length, &error);
      if (node == NULL)
        g_error ("%s: json-glib refused: %s", doc->name, error->message);
    }
}

static void
test_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    check_refused (&refused[i]);
}

static void
test_offsets (void)
{
  static const struct { const char *data; gsize offset; } cases[] = {
    { "{\"a\":1,}", 7 },
    { "{\"a\":1,\"a\":2}", 7 },
    { "[01]", 1 },
    { "\"\\u0000\"", 1 },
    { "{} x", 3 },
    { "[\"\xff\"]", 2 },
    { "", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *expected = g_strdup_printf ("at byte %" G_GSIZE_FORMAT ":", cases[i].offset);

      g_assert_false (usdtpay_json_validate (cases[i].data, strlen (cases[i].data), &error));
      if (strstr (error->message, expected) == NULL)
        g_error ("\"%s\": expected \"%s\" in \"%s\"", cases[i].data, expected, error->message);
    }
}

/* The length is honoured: bytes beyond it are never looked at. */
static void
test_length (void)
{
  const char data[] = "{\"a\":1}garbage";
  g_autoptr(JsonNode) node = NULL;

  g_assert_true (usdtpay_json_validate (data, 7, NULL));
  g_assert_false (usdtpay_json_validate (data, 6, NULL));
  g_assert_false (usdtpay_json_validate (data, sizeof data - 1, NULL));
  node = usdtpay_json_parse_strict (data, 7, NULL);
  g_assert_nonnull (node);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "a"), ==, 1);
}

/* Exact-size heap copies, so that the sanitizer sees any read past the
 * length, in our validator or in json-glib. */
static void
test_exact_buffers (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      gsize length = accepted[i].length < 0 ? strlen (accepted[i].data) : (gsize)accepted[i].length;
      g_autofree char *copy = g_memdup2 (accepted[i].data, MAX (length, 1));
      g_autoptr(JsonNode) node = usdtpay_json_parse_strict (copy, length, NULL);

      g_assert_nonnull (node);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      gsize length = refused[i].length < 0 ? strlen (refused[i].data) : (gsize)refused[i].length;
      g_autofree char *copy = g_memdup2 (refused[i].data, MAX (length, 1));

      g_assert_false (usdtpay_json_validate (copy, length, NULL));
    }
}

/* Random damage to valid documents. Whatever the validator lets through
 * must be taken by json-glib, and must come back out of our writer as a
 * valid document that reads back to an equal tree. */
static void
test_fuzz (void)
{
  static const char alphabet[] = "{}[]:,\"\\/ \t\n0123456789-+.eEtrufalsn\x00\x01\x1f\x7f\x80\xbf\xc0\xc3"
                                 "\xe0\xed\xf0\xf4\xf5\xff'#*u";
  static const char * const seeds[] = {
    "{\"a\":[1,2.5,-3e2,true,false,null],\"b\":{\"c\":\"d\\u00e9\\n\"},\"e\":\"\xe4\xb8\xad\"}",
    "[{\"id\":\"ord_1\",\"amount\":\"1.000000\"},{\"id\":\"ord_2\"}]",
    "{\"type\":\"ack\",\"seq\":12345}",
    "[\"\\uD834\\uDD1E\",0,-0.0,1e10,[[]],{}]",
  };
  guint accepted_count = 0;
  guint iterations = g_test_slow () ? 2000000 : 200000;

  for (guint i = 0; i < iterations; i++)
    {
      const char *seed = seeds[i % G_N_ELEMENTS (seeds)];
      GString *doc = g_string_new (seed);
      guint edits = g_test_rand_int_range (1, 4);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;

      for (guint e = 0; e < edits; e++)
        {
          guint pos = g_test_rand_int_range (0, doc->len + 1);
          char c = alphabet[g_test_rand_int_range (0, sizeof alphabet - 1)];

          switch (g_test_rand_int_range (0, 3))
            {
            case 0:
              g_string_insert_len (doc, pos, &c, 1);
              break;
            case 1:
              if (pos < doc->len)
                g_string_erase (doc, pos, 1);
              break;
            default:
              if (pos < doc->len)
                doc->str[pos] = c;
              break;
            }
        }

      {
        g_autofree char *copy = g_memdup2 (doc->str, doc->len + 1);
        gsize length = doc->len;

        g_string_free (doc, TRUE);

        if (!usdtpay_json_validate (copy, length, &error))
          {
            g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
            if (strstr (error->message, "invalid UTF-8") != NULL)
              g_assert_false (g_utf8_validate_len (copy, length, NULL));
            continue;
          }

        /* A valid document is valid UTF-8 throughout, without NUL bytes. */
        g_assert_true (g_utf8_validate_len (copy, length, NULL));
        g_assert_null (memchr (copy, '\0', length));

        accepted_count++;
        node = usdtpay_json_parse_strict (copy, length, &error);
        if (node == NULL)
          g_error ("json-glib refused what we accepted: %s", error->message);

        {
          g_autofree char *out = NULL;
          g_autoptr(JsonNode) again = NULL;
          gsize out_length;

          out = usdtpay_json_to_string (node, &out_length);
          again = usdtpay_json_parse_strict (out, out_length, &error);
          if (again == NULL)
            g_error ("our output \"%s\" is not valid: %s", out, error->message);
          g_assert_true (json_node_equal (node, again));
        }
      }
    }

  g_test_message ("%u of %u mutated documents were valid", accepted_count, iterations);
  g_assert_cmpuint (accepted_count, >, 0);
}

/* The oracle for a string's bytes: GLib's UTF-8 validator, plus JSON's own
 * rule for the ASCII part. */
static gboolean
string_bytes_ok (const guchar *bytes,
                 gsize         n)
{
  for (gsize i = 0; i < n; i++)
    {
      if (bytes[i] < 0x20 || bytes[i] == '"' || bytes[i] == '\\')
        return FALSE;
    }
  return g_utf8_validate_len ((const char *)bytes, n, NULL);
}

static void
check_string_bytes (const guchar *bytes,
                    gsize         n)
{
  guchar doc[8];
  gboolean ours;

  g_assert (n + 2 <= sizeof doc);
  doc[0] = '"';
  memcpy (doc + 1, bytes, n);
  doc[n + 1] = '"';

  ours = usdtpay_json_validate ((const char *)doc, n + 2, NULL);
  if (ours != string_bytes_ok (bytes, n))
    g_error ("bytes %02x %02x %02x %02x (%" G_GSIZE_FORMAT "): validator says %d",
             bytes[0], n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, n > 3 ? bytes[3] : 0,
             n, ours);
}

/* Every 2-byte and 3-byte sequence with a non-ASCII lead, and a large
 * slice of the 4-byte ones, against GLib. */
static void
test_utf8_exhaustive (void)
{
  static const guchar third[] = { 0x80, 0x8f, 0x90, 0xbf, 0x41, 0xc0 };
  guchar b[4];

  for (guint b0 = 0x80; b0 <= 0xff; b0++)
    for (guint b1 = 0; b1 <= 0xff; b1++)
      {
        b[0] = b0;
        b[1] = b1;
        check_string_bytes (b, 1);
        check_string_bytes (b, 2);
      }

  for (guint b0 = 0xe0; b0 <= 0xef; b0++)
    for (guint b1 = 0; b1 <= 0xff; b1++)
      for (guint b2 = 0; b2 <= 0xff; b2++)
        {
          b[0] = b0;
          b[1] = b1;
          b[2] = b2;
          check_string_bytes (b, 3);
        }

  for (guint b0 = 0xf0; b0 <= 0xf7; b0++)
    for (guint b1 = 0; b1 <= 0xff; b1++)
      for (guint k = 0; k < G_N_ELEMENTS (third); k++)
        for (guint b3 = 0; b3 <= 0xff; b3++)
          {
            b[0] = b0;
            b[1] = b1;
            b[2] = third[k];
            b[3] = b3;
            check_string_bytes (b, 4);
          }
}

/* Every \uXXXX escape alone, and every pair of a high surrogate with a
 * sample of second escapes. */
static void
test_u_escapes (void)
{
  for (guint u = 0; u <= 0xffff; u++)
    {
      char doc[16];
      gboolean expected = u != 0 && (u < 0xd800 || u > 0xdfff);

      g_snprintf (doc, sizeof doc, "\"\\u%04X\"", u);
      g_assert_cmpint (usdtpay_json_validate (doc, strlen (doc), NULL), ==, expected);
      g_snprintf (doc, sizeof doc, "\"\\u%04x\"", u);
      g_assert_cmpint (usdtpay_json_validate (doc, strlen (doc), NULL), ==, expected);
    }

  for (guint hi = 0xd800; hi <= 0xdbff; hi += 0x3f)
    for (guint lo = 0; lo <= 0xffff; lo += 0x7f)
      {
        char doc[24];
        gboolean expected = lo >= 0xdc00 && lo <= 0xdfff;
        g_autoptr(JsonNode) node = NULL;

        g_snprintf (doc, sizeof doc, "\"\\u%04X\\u%04X\"", hi, lo);
        g_assert_cmpint (usdtpay_json_validate (doc, strlen (doc), NULL), ==, expected);
        if (!expected)
          continue;

        /* json-glib decodes the pair to the same code point. */
        node = usdtpay_json_parse_strict (doc, strlen (doc), NULL);
        g_assert_nonnull (node);
        g_assert_cmpuint (g_utf8_get_char (json_node_get_string (node)), ==,
                          0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
      }
}

static char *
nested (guint depth,
        char  open,
        char  close)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < depth; i++)
    {
      g_string_append_c (s, open);
      if (open == '{')
        g_string_append (s, "\"k\":");
    }
  g_string_append (s, "1");
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, close);
  return g_string_free (s, FALSE);
}

static void
test_depth (void)
{
  g_autofree char *arrays_ok = nested (USDTPAY_JSON_MAX_DEPTH, '[', ']');
  g_autofree char *arrays_bad = nested (USDTPAY_JSON_MAX_DEPTH + 1, '[', ']');
  g_autofree char *objects_ok = nested (USDTPAY_JSON_MAX_DEPTH, '{', '}');
  g_autofree char *objects_bad = nested (USDTPAY_JSON_MAX_DEPTH + 1, '{', '}');
  g_autofree char *very_deep = nested (100000, '[', ']');
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  g_assert_true (usdtpay_json_validate (arrays_ok, strlen (arrays_ok), NULL));
  g_assert_true (usdtpay_json_validate (objects_ok, strlen (objects_ok), NULL));
  node = usdtpay_json_parse_strict (objects_ok, strlen (objects_ok), &error);
  g_assert_no_error (error);
  g_assert_nonnull (node);

  g_assert_false (usdtpay_json_validate (arrays_bad, strlen (arrays_bad), &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
  g_assert_nonnull (strstr (error->message, "at byte 64:"));
  g_clear_error (&error);
  g_assert_false (usdtpay_json_validate (objects_bad, strlen (objects_bad), &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
  g_clear_error (&error);
  g_assert_false (usdtpay_json_validate (very_deep, strlen (very_deep), &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
}

/* Many keys go through the hash set; none may be mistaken for another. */
static void
test_many_keys (void)
{
  GString *s = g_string_new ("{");
  g_autofree char *data = NULL;
  gsize length;

  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (s, "%s\"key%u\":%u", i ? "," : "", i, i);
  g_string_append_c (s, '}');
  length = s->len;
  data = g_string_free (s, FALSE);
  g_assert_true (usdtpay_json_validate (data, length, NULL));

  /* The same with one repeat at the end, spelled with an escape. */
  data[length - 1] = '\0';
  {
    g_autofree char *dup = g_strconcat (data, ",\"key\\u00341\":0}", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (usdtpay_json_validate (dup, strlen (dup), &error));
    g_assert_nonnull (strstr (error->message, "duplicate"));
  }
}

/* Each size around the switch from linear search to the hash set, with the
 * repeat of each earlier key in the last place. */
static void
test_duplicate_every_position (void)
{
  for (guint n = 1; n <= 70; n++)
    {
      GString *s = g_string_new ("{");

      for (guint i = 0; i < n; i++)
        g_string_append_printf (s, "%s\"key-%u\":%u", i ? "," : "", i, i);

      {
        g_autofree char *ok = g_strconcat (s->str, "}", NULL);
        g_assert_true (usdtpay_json_validate (ok, strlen (ok), NULL));
      }

      for (guint j = 0; j < n; j++)
        {
          g_autofree char *dup = g_strdup_printf ("%s,\"key-%u\":0}", s->str, j);
          g_autoptr(GError) error = NULL;

          g_assert_false (usdtpay_json_validate (dup, strlen (dup), &error));
          g_assert_true (g_str_has_suffix (error->message, "duplicate member name"));
        }

      g_string_free (s, TRUE);
    }
}

static void
test_parse_object (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  const char *s = NULL;
  gint64 i = 0;
  gboolean b = FALSE;
  gint64 amount = 0;

  object = usdtpay_json_parse_object ("[1]", 3, &error);
  g_assert_null (object);
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
  g_clear_error (&error);

  object = usdtpay_json_parse_object ("{\"a\":1,", 7, &error);
  g_assert_null (object);
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
  g_clear_error (&error);

  {
    const char *body = "{\"s\":\"x\",\"i\":-5,\"b\":true,\"n\":null,\"f\":1.5,\"amount\":\"12.5\","
                       "\"zero\":\"0\",\"bad\":\"1e5\",\"num\":12,\"big\":\"9223372036855\"}";

    object = usdtpay_json_parse_object (body, strlen (body), &error);
    g_assert_no_error (error);
    g_assert_nonnull (object);
  }

  g_assert_true (usdtpay_json_get_string (object, "s", FALSE, &s, &error));
  g_assert_cmpstr (s, ==, "x");
  g_assert_true (usdtpay_json_get_int (object, "i", FALSE, &i, &error));
  g_assert_cmpint (i, ==, -5);
  g_assert_true (usdtpay_json_get_boolean (object, "b", FALSE, &b, &error));
  g_assert_true (b);
  g_assert_true (usdtpay_json_get_usdt (object, "amount", FALSE, TRUE, &amount, &error));
  g_assert_cmpint (amount, ==, 12500000);
  g_assert_true (usdtpay_json_get_usdt (object, "zero", FALSE, FALSE, &amount, &error));
  g_assert_cmpint (amount, ==, 0);
  g_assert_no_error (error);

  /* Optional and absent, or null: untouched. */
  s = "keep";
  g_assert_true (usdtpay_json_get_string (object, "missing", TRUE, &s, &error));
  g_assert_true (usdtpay_json_get_string (object, "n", TRUE, &s, &error));
  g_assert_cmpstr (s, ==, "keep");
  i = 77;
  g_assert_true (usdtpay_json_get_int (object, "n", TRUE, &i, &error));
  g_assert_true (usdtpay_json_get_int (object, "missing", TRUE, &i, &error));
  g_assert_cmpint (i, ==, 77);
  g_assert_true (usdtpay_json_get_boolean (object, "missing", TRUE, &b, &error));
  g_assert_true (usdtpay_json_get_usdt (object, "missing", TRUE, TRUE, &amount, &error));
  g_assert_cmpint (amount, ==, 0);
  g_assert_no_error (error);

  /* Missing, null when required, wrong types: INVALID_REQUEST naming the member. */
  {
    static const struct { const char *member; int kind; } bad[] = {
      { "missing", 0 }, { "n", 0 }, { "i", 0 }, { "b", 0 },
      { "missing", 1 }, { "n", 1 }, { "s", 1 }, { "f", 1 }, { "b", 1 },
      { "missing", 2 }, { "s", 2 }, { "i", 2 }, { "n", 2 },
      { "missing", 3 }, { "num", 3 }, { "n", 3 },
    };

    for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
      {
        gboolean ok = TRUE;

        switch (bad[k].kind)
          {
          case 0: ok = usdtpay_json_get_string (object, bad[k].member, FALSE, &s, &error); break;
          case 1: ok = usdtpay_json_get_int (object, bad[k].member, FALSE, &i, &error); break;
          case 2: ok = usdtpay_json_get_boolean (object, bad[k].member, FALSE, &b, &error); break;
          case 3: ok = usdtpay_json_get_usdt (object, bad[k].member, FALSE, FALSE, &amount, &error); break;
          default: g_assert_not_reached ();
          }
        g_assert_false (ok);
        g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
        g_assert_nonnull (strstr (error->message, bad[k].member));
        g_clear_error (&error);
      }
  }

  /* Wrong types are refused even when optional. */
  g_assert_false (usdtpay_json_get_string (object, "i", TRUE, &s, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_REQUEST);
  g_clear_error (&error);

  /* Bad money strings: INVALID_AMOUNT. */
  g_assert_false (usdtpay_json_get_usdt (object, "bad", FALSE, FALSE, &amount, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_assert_nonnull (strstr (error->message, "bad"));
  g_clear_error (&error);
  g_assert_false (usdtpay_json_get_usdt (object, "zero", FALSE, TRUE, &amount, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
  g_assert_false (usdtpay_json_get_usdt (object, "big", FALSE, FALSE, &amount, &error));
  g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_INVALID_AMOUNT);
  g_clear_error (&error);
}

static void
test_to_string (void)
{
  static const char * const docs[] = {
    "{}",
    "[]",
    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
    "{\"z\":1,\"a\":2,\"m\":3}",
    "\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\"",
    "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80/\"",
    "[-9223372036854775808,9223372036854775807,0]",
    "[1.5,-0.25,1e+300,2.0]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = usdtpay_json_parse_strict (docs[i], strlen (docs[i]), &error);
      g_autofree char *text = NULL;
      gsize length = 0;

      g_assert_no_error (error);
      text = usdtpay_json_to_string (node, &length);
      g_assert_cmpstr (text, ==, docs[i]);
      g_assert_cmpuint (length, ==, strlen (docs[i]));
    }

  /* Anything we write is valid, even from invalid UTF-8 in a string. */
  {
    GString *s = g_string_new (NULL);

    usdtpay_json_append_string (s, "a\xff" "b\xc3", -1);
    usdtpay_json_append_string (s, NULL, -1);
    usdtpay_json_append_string (s, "x\0y", 3);
    g_assert_cmpstr (s->str, ==, "\"a\\ufffdb\\ufffd\"null\"x\\u0000y\"");
    g_string_free (s, TRUE);
  }
}

static void
test_pick (void)
{
  const char *doc = "{\"seq\":42,\"type\":\"order.paid\",\"order\":{\"id\":\"ord_1\",\"version\":-3,"
                    "\"state\":\"pa\\u0069d\",\"items\":[{\"id\":\"inner\"}],\"n\":{\"m\":null},"
                    "\"a.b\":1,\"big\":1e3,\"x\":\"caf\\u00e9\"},\"id\":\"top\"}";
  UsdtpayJsonPick picks[] = {
    { "seq" }, { "type" }, { "order.id" }, { "order.version" }, { "order.state" },
    { "order.items.id" }, { "order.n.m" }, { "order.a.b" }, { "order.big" }, { "id" },
    { "order.missing" }, { "order" }, { "order.x" }, { "missing.deeper" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *x = NULL;
  gint64 n = 0;

  g_assert_true (usdtpay_json_pick (doc, strlen (doc), picks, G_N_ELEMENTS (picks), &error));
  g_assert_no_error (error);

  g_assert_true (usdtpay_json_pick_get_int (&picks[0], &n));
  g_assert_cmpint (n, ==, 42);
  g_assert_true (usdtpay_json_pick_equal (&picks[1], "order.paid"));
  g_assert_false (usdtpay_json_pick_equal (&picks[1], "order.pai"));
  g_assert_true (usdtpay_json_pick_equal (&picks[2], "ord_1"));
  g_assert_true (usdtpay_json_pick_get_int (&picks[3], &n));
  g_assert_cmpint (n, ==, -3);
  /* Escapes are decoded, for comparison too. */
  state = usdtpay_json_pick_dup_string (&picks[4]);
  g_assert_cmpstr (state, ==, "paid");
  g_assert_true (usdtpay_json_pick_equal (&picks[4], "paid"));
  /* Inside an array nothing is picked; null is a value, not a string. */
  g_assert_null (picks[5].value);
  g_assert_nonnull (picks[6].value);
  g_assert_cmpmem (picks[6].value, picks[6].length, "null", 4);
  g_assert_null (usdtpay_json_pick_dup_string (&picks[6]));
  g_assert_false (usdtpay_json_pick_get_int (&picks[6], &n));
  /* A member whose name holds a '.' is not reachable by a path. */
  g_assert_null (picks[7].value);
  /* 1e3 is a number but not an integer. */
  g_assert_false (usdtpay_json_pick_get_int (&picks[8], &n));
  g_assert_true (usdtpay_json_pick_equal (&picks[9], "top"));
  g_assert_null (picks[10].value);
  /* A whole object can be picked as text. */
  g_assert_nonnull (picks[11].value);
  g_assert_true (picks[11].value[0] == '{' && picks[11].value[picks[11].length - 1] == '}');
  x = usdtpay_json_pick_dup_string (&picks[12]);
  g_assert_cmpstr (x, ==, "caf\xc3\xa9");
  g_assert_null (picks[13].value);
}

static void
test_pick_strict (void)
{
  /* Picking validates the whole text: a wanted member before the fault
   * does not make a bad document pass, and no pick is left set. */
  static const char *bad[] = {
    "{\"seq\":1,\"seq\":2}",
    "{\"seq\":1,}",
    "{\"seq\":1} x",
    "{\"seq\":01}",
    "{\"seq\":1,\"o\":{\"seq\":\"\\u0000\"}}",
    "{\"seq\":1,\"o\":[1,]}",
    "{'seq':1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      UsdtpayJsonPick picks[] = { { "seq" }, { "o.seq" } };
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) validate_error = NULL;

      g_assert_false (usdtpay_json_pick (bad[i], strlen (bad[i]), picks, G_N_ELEMENTS (picks), &error));
      g_assert_error (error, USDTPAY_ERROR, USDTPAY_ERROR_MALFORMED_JSON);
      g_assert_false (usdtpay_json_validate (bad[i], strlen (bad[i]), &validate_error));
      g_assert_cmpstr (error->message, ==, validate_error->message);
      g_assert_null (picks[0].value);
      g_assert_null (picks[1].value);
    }
}

/* Random nested objects: every pick agrees with json-glib's tree. */
static void
test_pick_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
      g_autofree UsdtpayJsonPick *picks = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *object;
      gsize length;
      guint n_members = g_rand_int_range (rand, 1, 8);

      json_builder_begin_object (builder);
      for (guint i = 0; i < n_members; i++)
        {
          g_autofree char *name = g_strdup_printf ("m%u", i);

          json_builder_set_member_name (builder, name);
          switch (g_rand_int_range (rand, 0, 5))
            {
            case 0:
              json_builder_add_int_value (builder, (gint64)g_rand_int (rand) - G_MAXINT32);
              break;
            case 1:
              {
                g_autofree char *value = g_strdup_printf ("v\"%u\\\n\xc3\xa9", g_rand_int (rand));
                json_builder_add_string_value (builder, value);
              }
              break;
            case 2:
              json_builder_begin_object (builder);
              for (guint j = 0; j < 3; j++)
                {
                  g_autofree char *inner = g_strdup_printf ("k%u", j);

                  json_builder_set_member_name (builder, inner);
                  json_builder_add_int_value (builder, g_rand_int_range (rand, -1000, 1000));
                }
              json_builder_end_object (builder);
              break;
            case 3:
              json_builder_begin_array (builder);
              json_builder_add_int_value (builder, 1);
              json_builder_end_array (builder);
              break;
            default:
              json_builder_add_null_value (builder);
              break;
            }
        }
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, g_rand_boolean (rand));
      text = json_generator_to_data (generator, &length);
      object = json_node_get_object (root);

      for (guint i = 0; i < n_members + 1; i++)
        {
          g_ptr_array_add (paths, g_strdup_printf ("m%u", i));
          g_ptr_array_add (paths, g_strdup_printf ("m%u.k%u", i, g_rand_int_range (rand, 0, 4)));
        }
      picks = g_new0 (UsdtpayJsonPick, paths->len);
      for (guint i = 0; i < paths->len; i++)
        picks[i].path = g_ptr_array_index (paths, i);

      g_assert_true (usdtpay_json_pick (text, length, picks, paths->len, &error));
      g_assert_no_error (error);

      for (guint i = 0; i < paths->len; i++)
        {
          g_auto(GStrv) parts = g_strsplit (picks[i].path, ".", -1);
          JsonObject *parent = object;
          JsonNode *node = NULL;

          for (guint k = 0; parts[k] != NULL && parent != NULL; k++)
            {
              node = json_object_get_member (parent, parts[k]);
              parent = parts[k + 1] != NULL && node != NULL && JSON_NODE_HOLDS_OBJECT (node)
                       ? json_node_get_object (node) : NULL;
              if (parts[k + 1] != NULL && parent == NULL)
                node = NULL;
            }

          if (node == NULL)
            {
              g_assert_null (picks[i].value);
              continue;
            }
          g_assert_nonnull (picks[i].value);
          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            {
              g_autofree char *picked = usdtpay_json_pick_dup_string (&picks[i]);

              g_assert_cmpstr (picked, ==, json_node_get_string (node));
              g_assert_true (usdtpay_json_pick_equal (&picks[i], json_node_get_string (node)));
            }
          else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
            {
              gint64 picked = 0;

              g_assert_true (usdtpay_json_pick_get_int (&picks[i], &picked));
              g_assert_cmpint (picked, ==, json_node_get_int (node));
            }
          else
            {
              g_autoptr(JsonNode) reparsed = usdtpay_json_parse_strict (picks[i].value, picks[i].length, &error);

              g_assert_no_error (error);
              g_assert_true (json_node_equal (reparsed, node));
            }
        }
    }
}

/* A member added to the object that ends a text: an empty object, one
 * with members, escapes and null; the result is valid and parses back. */
static void
test_object_add_string (void)
{
  g_autoptr(GString) out = g_string_new ("[1,");

  g_string_append (out, "{}");
  usdtpay_json_object_add_string (out, "pay_url", "https://example.com/p?a=1&b=\"2\"");
  g_assert_cmpstr (out->str, ==, "[1,{\"pay_url\":\"https://example.com/p?a=1&b=\\\"2\\\"\"}");

  g_string_assign (out, "{\"id\":\"ord_1\",\"n\":{\"a\":1}}");
  usdtpay_json_object_add_string (out, "by", "support:\u00e9\n");
  usdtpay_json_object_add_string (out, "reason", NULL);
  g_assert_cmpstr (out->str, ==, "{\"id\":\"ord_1\",\"n\":{\"a\":1},\"by\":\"support:\u00e9\\n\",\"reason\":null}");
  g_assert_true (usdtpay_json_validate (out->str, out->len, NULL));
}

/* A random JSON text: nesting, whitespace, escapes (surrogate pairs too),
 * and numbers of every shape the grammar has. */
static void
append_random_value (GString *out,
                     GRand   *rand,
                     guint    depth)
{
  static const char *const numbers[] = {
    "0", "-0", "7", "-42", "9223372036854775807", "-9223372036854775808", "1.5", "-0.25",
    "1e2", "1E+2", "2.5e-3", "123456789012345678901234567890.5", "0.1", "-1.0e10",
  };
  static const char *const strings[] = {
    "\"\"", "\"plain\"", "\"caf\\u00e9\"", "\"\\ud83d\\ude00 smile\"", "\"tab\\tnew\\nline\\\\ \\\"q\\\" \\/\"",
    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\"\\u20ac\\u0041\"",
  };
  guint kind = g_rand_int_range (rand, 0, depth < 4 ? 7 : 5);

  if (g_rand_boolean (rand))
    g_string_append (out, g_rand_boolean (rand) ? " " : "\n\t");

  switch (kind)
    {
    case 0:
      g_string_append (out, numbers[g_rand_int_range (rand, 0, G_N_ELEMENTS (numbers))]);
      break;
    case 1:
      g_string_append (out, strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
      break;
    case 2:
      g_string_append (out, g_rand_boolean (rand) ? "true" : "false");
      break;
    case 3:
      g_string_append (out, "null");
      break;
    case 4:
      g_string_append_printf (out, "%d", g_rand_int_range (rand, -100000, 100000));
      break;
    case 5:
      {
        guint n = g_rand_int_range (rand, 0, 5);

        g_string_append_c (out, '{');
        for (guint i = 0; i < n; i++)
          {
            g_string_append_printf (out, "%s\"k%u\\u00e9\" : ", i ? "," : "", i);
            append_random_value (out, rand, depth + 1);
          }
        g_string_append (out, " }");
      }
      break;
    default:
      {
        guint n = g_rand_int_range (rand, 0, 5);

        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i)
              g_string_append_c (out, ',');
            append_random_value (out, rand, depth + 1);
          }
        g_string_append (out, "]");
      }
      break;
    }
}

static void
assert_same_tree (JsonNode *a,
                  JsonNode *b)
{
  g_assert_cmpint (json_node_get_node_type (a), ==, json_node_get_node_type (b));
  switch (json_node_get_node_type (a))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *oa = json_node_get_object (a), *ob = json_node_get_object (b);
        g_autoptr(GList) ma = json_object_get_members (oa);
        g_autoptr(GList) mb = json_object_get_members (ob);

        g_assert_cmpuint (g_list_length (ma), ==, g_list_length (mb));
        for (GList *l = ma, *k = mb; l != NULL; l = l->next, k = k->next)
          {
            g_assert_cmpstr (l->data, ==, k->data);
            assert_same_tree (json_object_get_member (oa, l->data), json_object_get_member (ob, k->data));
          }
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *aa = json_node_get_array (a), *ab = json_node_get_array (b);

        g_assert_cmpuint (json_array_get_length (aa), ==, json_array_get_length (ab));
        for (guint i = 0; i < json_array_get_length (aa); i++)
          assert_same_tree (json_array_get_element (aa, i), json_array_get_element (ab, i));
      }
      break;
    case JSON_NODE_VALUE:
      g_assert_true (json_node_get_value_type (a) == json_node_get_value_type (b));
      if (json_node_get_value_type (a) == G_TYPE_INT64)
        g_assert_cmpint (json_node_get_int (a), ==, json_node_get_int (b));
      else if (json_node_get_value_type (a) == G_TYPE_DOUBLE)
        g_assert_true (json_node_get_double (a) == json_node_get_double (b));
      else if (json_node_get_value_type (a) == G_TYPE_BOOLEAN)
        g_assert_cmpint (json_node_get_boolean (a), ==, json_node_get_boolean (b));
      else
        g_assert_cmpstr (json_node_get_string (a), ==, json_node_get_string (b));
      break;
    case JSON_NODE_NULL:
      break;
    }
}

/* Our parser builds the tree json-glib's JsonParser builds, for every
 * text both accept. */
static void
test_parse_as_json_glib (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);

  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonNode) ours = NULL;
      g_autoptr(GError) error = NULL;

      append_random_value (text, rand, 0);
      g_string_append (text, g_rand_boolean (rand) ? "\n" : "");

      ours = usdtpay_json_parse_strict (text->str, text->len, &error);
      g_assert_no_error (error);
      g_assert_true (json_parser_load_from_data (parser, text->str, text->len, &error));
      g_assert_no_error (error);
      assert_same_tree (ours, json_parser_get_root (parser));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/json/accepted", test_accepted);
  g_test_add_func ("/core/json/refused", test_refused);
  g_test_add_func ("/core/json/offsets", test_offsets);
  g_test_add_func ("/core/json/length", test_length);
  g_test_add_func ("/core/json/exact-buffers", test_exact_buffers);
  g_test_add_func ("/core/json/fuzz", test_fuzz);
  g_test_add_func ("/core/json/utf8-exhaustive", test_utf8_exhaustive);
  g_test_add_func ("/core/json/u-escapes", test_u_escapes);
  g_test_add_func ("/core/json/depth", test_depth);
  g_test_add_func ("/core/json/many-keys", test_many_keys);
  g_test_add_func ("/core/json/duplicate-every-position", test_duplicate_every_position);
  g_test_add_func ("/core/json/parse-object", test_parse_object);
  g_test_add_func ("/core/json/to-string", test_to_string);
  g_test_add_func ("/core/json/pick", test_pick);
  g_test_add_func ("/core/json/pick-strict", test_pick_strict);
  g_test_add_func ("/core/json/pick-random", test_pick_random);
  g_test_add_func ("/core/json/object-add-string", test_object_add_string);
  g_test_add_func ("/core/json/parse-as-json-glib", test_parse_as_json_glib);

  return g_test_run ();
}
