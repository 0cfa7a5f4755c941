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
} Doc;

#define DOC(n, d) { n, d, -1 }
#define DOC_LEN(n, d) { n, d, sizeof (d) - 1 }

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
  DOC ("n_empty", ""),
  DOC ("n_only_ws", " \n\t "),
  DOC ("n_trailing_garbage", "{}x"),
  DOC ("n_two_values", "{} {}"),
  DOC ("n_two_numbers", "1 2"),
  DOC ("n_trailing_comma_top", "[],"),
  DOC ("n_unclosed_object", "{"),
  DOC ("n_unclosed_array", "[1"),
  DOC ("n_unclosed_array_comma", "[1,"),
  DOC ("n_unclosed_string", "\"abc"),
  DOC ("n_close_only", "]"),
  DOC ("n_mismatched", "[}"),
  DOC ("n_bom", "\xef\xbb\xbf{}"),
  DOC ("n_form_feed_ws", "\x0c[]"),
  DOC ("n_vertical_tab_ws", "[\x0b]"),
  DOC ("n_nbsp_ws", "[\xc2\xa0]"),
  /* NUL bytes */
  DOC_LEN ("n_nul_after", "{}\0"),
  DOC_LEN ("n_nul_before", "\0{}"),
  DOC_LEN ("n_nul_in_string", "\"a\0b\""),
  DOC_LEN ("n_nul_in_array", "[1,\0]"),
  /* comments */
  DOC ("n_comment_line", "{}// c"),
  DOC ("n_comment_block", "/* c */{}"),
  DOC ("n_comment_inside", "{\"a\":1/* c */}"),
  DOC ("n_comment_hash", "{\"a\":1 # c\n}"),
  /* single quotes and bare words */
  DOC ("n_single_quote_string", "['a']"),
  DOC ("n_single_quote_key", "{'a':1}"),
  DOC ("n_unquoted_key", "{a:1}"),
  DOC ("n_bare_word", "[abc]"),
  DOC ("n_True", "True"),
  DOC ("n_nul_word", "nul"),
  DOC ("n_truex", "truex"),
  DOC ("n_NaN", "NaN"),
  DOC ("n_Infinity", "[Infinity]"),
  DOC ("n_minus_Infinity", "[-Infinity]"),
  /* trailing commas and separators */
  DOC ("n_array_trailing_comma", "[1,]"),
  DOC ("n_array_trailing_comma_ws", "[1 , ]"),
  DOC ("n_object_trailing_comma", "{\"a\":1,}"),
  DOC ("n_array_leading_comma", "[,1]"),
  DOC ("n_array_double_comma", "[1,,2]"),
  DOC ("n_array_only_comma", "[,]"),
  DOC ("n_object_only_comma", "{,}"),
  DOC ("n_object_missing_colon", "{\"a\" 1}"),
  DOC ("n_object_double_colon", "{\"a\"::1}"),
  DOC ("n_object_missing_value", "{\"a\":}"),
  DOC ("n_object_missing_comma", "{\"a\":1 \"b\":2}"),
  DOC ("n_array_missing_comma", "[1 2]"),
  DOC ("n_object_key_number", "{1:1}"),
  DOC ("n_object_semicolon", "{\"a\":1;\"b\":2}"),
  DOC ("n_array_colon", "[1:2]"),
  /* duplicate keys */
  DOC ("n_dup_key", "{\"a\":1,\"a\":2}"),
  DOC ("n_dup_key_same_value", "{\"a\":1,\"a\":1}"),
  DOC ("n_dup_key_escaped", "{\"a\":1,\"\\u0061\":2}"),
  DOC ("n_dup_key_escaped_both", "{\"\\u00e9\":1,\"\xc3\xa9\":2}"),
  DOC ("n_dup_key_slash", "{\"/\":1,\"\\/\":2}"),
  DOC ("n_dup_key_empty", "{\"\":1,\"\":2}"),
  DOC ("n_dup_key_nested", "{\"x\":{\"a\":1,\"b\":2,\"a\":3}}"),
  DOC ("n_dup_key_late", "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
                        "\"k9\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
                        "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k3\":1}"),
  DOC ("n_dup_key_first_after_many", "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,"
                                    "\"k9\":1,\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,"
                                    "\"k16\":1,\"k17\":1,\"k18\":1,\"k19\":1,\"k1\":1}"),
  /* numbers */
  DOC ("n_number_leading_zero", "01"),
  DOC ("n_number_leading_zeros", "[00]"),
  DOC ("n_number_minus_leading_zero", "-01"),
  DOC ("n_number_leading_zero_frac", "00.5"),
  DOC ("n_number_minus_only", "-"),
  DOC ("n_number_minus_space", "- 1"),
  DOC ("n_number_minus_array", "[-]"),
  DOC ("n_number_plus", "+1"),
  DOC ("n_number_dot_end", "1."),
  DOC ("n_number_dot_end_array", "[1.]"),
  DOC ("n_number_dot_start", ".5"),
  DOC ("n_number_minus_dot", "-.5"),
  DOC ("n_number_dot_exp", "1.e5"),
  DOC ("n_number_exp_only", "1e"),
  DOC ("n_number_exp_sign_only", "1e+"),
  DOC ("n_number_exp_minus_only", "[1E-]"),
  DOC ("n_number_double_exp", "1e5e5"),
  DOC ("n_number_hex", "0x1F"),
  DOC ("n_number_two_dots", "1.2.3"),
  DOC ("n_number_comma_decimal", "[1,5.]"),
  DOC ("n_number_int_overflow", "9223372036854775808"),
  DOC ("n_number_int_underflow", "-9223372036854775809"),
  DOC ("n_number_int_huge", "123456789012345678901234567890"),
  DOC ("n_number_double_overflow", "1e309"),
  DOC ("n_number_double_overflow_neg", "-1e309"),
  DOC ("n_number_double_overflow_frac", "1.8e308"),
  DOC ("n_number_double_overflow_big_exp", "[1e99999999999999999999]"),
  DOC ("n_number_fullwidth", "\xef\xbc\x91"),
  /* strings: control characters */
  DOC ("n_string_raw_newline", "\"a\nb\""),
  DOC ("n_string_raw_tab", "\"a\tb\""),
  DOC ("n_string_raw_cr", "[\"\r\"]"),
  DOC ("n_string_raw_0x01", "\"\x01\""),
  DOC ("n_string_raw_0x1f", "\"\x1f\""),
  /* strings: escapes */
  DOC ("n_string_u0000", "\"\\u0000\""),
  DOC ("n_string_u0000_key", "{\"\\u0000\":1}"),
  DOC ("n_string_bad_escape", "\"\\x41\""),
  DOC ("n_string_escape_quote_single", "\"\\'\""),
  DOC ("n_string_escape_a", "\"\\a\""),
  DOC ("n_string_escape_0", "\"\\0\""),
  DOC ("n_string_escape_end", "\"\\\""),
  DOC ("n_string_escape_truncated", "\"\\"),
  DOC ("n_string_u_short", "\"\\u12\""),
  DOC ("n_string_u_bad_hex", "\"\\u12G4\""),
  DOC ("n_string_U_upper", "\"\\U0041\""),
  DOC ("n_string_u_truncated", "\"\\u004"),
  /* strings: surrogates */
  DOC ("n_lone_high_surrogate", "\"\\uD800\""),
  DOC ("n_lone_high_surrogate_then_text", "\"\\uD800abc\""),
  DOC ("n_lone_low_surrogate", "\"\\uDC00\""),
  DOC ("n_swapped_surrogates", "\"\\uDC00\\uD800\""),
  DOC ("n_high_high", "\"\\uD800\\uD800\""),
  DOC ("n_high_then_bmp", "\"\\uD800\\u0041\""),
  DOC ("n_high_then_escape", "\"\\uD800\\n\""),
  DOC ("n_high_at_end", "\"\\uDBFF"),
  /* invalid UTF-8 */
  DOC ("n_utf8_continuation", "\"\x80\""),
  DOC ("n_utf8_lone_lead", "\"\xc3\""),
  DOC ("n_utf8_truncated_3", "\"\xe4\xb8\""),
  DOC ("n_utf8_truncated_4", "\"\xf0\x9f\x98\""),
  DOC ("n_utf8_overlong_2", "\"\xc0\xaf\""),
  DOC ("n_utf8_overlong_2b", "\"\xc1\xbf\""),
  DOC ("n_utf8_overlong_nul", "\"\xc0\x80\""),
  DOC ("n_utf8_overlong_3", "\"\xe0\x80\xaf\""),
  DOC ("n_utf8_overlong_3_max", "\"\xe0\x9f\xbf\""),
  DOC ("n_utf8_overlong_4", "\"\xf0\x80\x80\xaf\""),
  DOC ("n_utf8_overlong_4_max", "\"\xf0\x8f\xbf\xbf\""),
  DOC ("n_utf8_surrogate_high", "\"\xed\xa0\x80\""),
  DOC ("n_utf8_surrogate_low", "\"\xed\xbf\xbf\""),
  DOC ("n_utf8_surrogate_pair", "\"\xed\xa0\xbd\xed\xb8\x80\""),
  DOC ("n_utf8_above_max", "\"\xf4\x90\x80\x80\""),
  DOC ("n_utf8_f5", "\"\xf5\x80\x80\x80\""),
  DOC ("n_utf8_ff", "\"\xff\""),
  DOC ("n_utf8_fe", "\"\xfe\""),
  DOC ("n_utf8_5_byte", "\"\xf8\x88\x80\x80\x80\""),
  DOC ("n_utf8_bad_second", "\"\xc3\x28\""),
  DOC ("n_utf8_bad_third", "\"\xe4\xb8\x28\""),
  DOC ("n_utf8_bad_fourth", "\"\xf0\x9f\x98\x28\""),
  DOC ("n_utf8_in_key", "{\"\xff\":1}"),
  DOC ("n_utf8_outside_string", "[\xc3\xa9]"),
  DOC ("n_latin1", "\"caf\xe9\""),
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
            continue;
          }

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
  g_test_add_func ("/core/json/depth", test_depth);
  g_test_add_func ("/core/json/many-keys", test_many_keys);
  g_test_add_func ("/core/json/parse-object", test_parse_object);
  g_test_add_func ("/core/json/to-string", test_to_string);

  return g_test_run ();
}
