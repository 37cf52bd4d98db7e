/* test-json-scan.c: the event scanner agrees with json-glib
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "tessera-json-scan.h"

static gboolean
json_glib_accepts (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  return json_parser_load_from_data (parser, json, -1, NULL) &&
         json_parser_get_root (parser) != NULL;
}

static void
test_validate (void)
{
  const char *valid[] = {
    "{}", "[]", "0", "-1.5e+10", "\"x\"", "true", "null",
    "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\\n\\\"\"}",
    " { \"a\" : 1 } ",
    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}",
  };
  const char *invalid[] = {
    "", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "tru",
    "\"unterminated", "\"bad \\x escape\"", "\"ctl \x01 char\"", "{} {}", "{\"a\":1]",
    "{\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":{\"content\":\"lost",
    "\"\\u12G4\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_assert_true (json_glib_accepts (valid[i]));
      g_assert_true (_tessera_json_scan_validate (valid[i], strlen (valid[i])));
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (_tessera_json_scan_validate (invalid[i], strlen (invalid[i])));
}

static void
test_deep_nesting_refused (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);

  for (guint i = 0; i < 100; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 100; i++)
    g_string_append_c (deep, ']');

  g_assert_false (_tessera_json_scan_validate (deep->str, deep->len));
}

static TesseraJsonScanResult
lookup (const char          *json,
        const char * const  *path,
        char               **out)
{
  g_assert_true (_tessera_json_scan_validate (json, strlen (json)));
  return _tessera_json_scan_lookup (json, strlen (json), path, out);
}

static void
test_lookup (void)
{
  const char *json =
    "{\"id\":\"x\",\"skip\":{\"content\":\"decoy\",\"a\":[1,{\"b\":\"}\"}]},"
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"caf\\u00e9 \\ud83c\\udf89 \\\"q\\\" \\\\ \\/ \\t\"},"
    "\"finish_reason\":null},{\"delta\":{\"content\":\"second\"}}],\"usage\":null,\"n\":3}";
  const char *content[] = { "choices", "0", "delta", "content", NULL };
  const char *second[] = { "choices", "1", "delta", "content", NULL };
  const char *third[] = { "choices", "2", "delta", "content", NULL };
  const char *finish[] = { "choices", "0", "finish_reason", NULL };
  const char *usage[] = { "usage", NULL };
  const char *choices[] = { "choices", NULL };
  const char *number[] = { "n", NULL };
  const char *missing[] = { "error", NULL };
  const char *through_string[] = { "id", "x", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (lookup (json, content, &out), ==, TESSERA_JSON_SCAN_STRING);
  g_assert_cmpstr (out, ==, "café 🎉 \"q\" \\ / \t");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lookup (json, second, &out), ==, TESSERA_JSON_SCAN_STRING);
  g_assert_cmpstr (out, ==, "second");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (lookup (json, third, &out), ==, TESSERA_JSON_SCAN_MISSING);
  g_assert_cmpint (lookup (json, finish, &out), ==, TESSERA_JSON_SCAN_NULL);
  g_assert_cmpint (lookup (json, usage, &out), ==, TESSERA_JSON_SCAN_NULL);
  g_assert_cmpint (lookup (json, choices, &out), ==, TESSERA_JSON_SCAN_OTHER);
  g_assert_cmpint (lookup (json, number, &out), ==, TESSERA_JSON_SCAN_OTHER);
  g_assert_cmpint (lookup (json, missing, &out), ==, TESSERA_JSON_SCAN_MISSING);
  g_assert_cmpint (lookup (json, through_string, &out), ==, TESSERA_JSON_SCAN_MISSING);
  g_assert_null (out);
}

static void
test_invalid_strings (void)
{
  const char *path[] = { "s", NULL };
  const char *cases[] = {
    "{\"s\":\"\\ud83c alone\"}",     /* high surrogate without its pair */
    "{\"s\":\"\\udf89\"}",           /* lone low surrogate */
    "{\"s\":\"nul \\u0000 inside\"}",
    "{\"s\":\"\xff\xfe\"}",          /* not UTF-8 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;

      g_assert_cmpint (lookup (cases[i], path, &out), ==, TESSERA_JSON_SCAN_INVALID);
      g_assert_null (out);
    }
}

/* A span is the value as written, to look members up in again. */
static void
test_lookup_span (void)
{
  const char *json =
    "{\"id\":\"x\",\"choices\":[ {\"delta\":{\"content\":\"a \\\"}\\\" b\"},\"finish_reason\":\"stop\"} ,{}],\"n\":3}";
  const char *first[] = { "choices", "0", NULL };
  const char *third[] = { "choices", "2", NULL };
  const char *number[] = { "n", NULL };
  const char *content[] = { "delta", "content", NULL };
  const char *finish[] = { "finish_reason", NULL };
  const char *value;
  gsize len;
  g_autofree char *out = NULL;

  g_assert_true (_tessera_json_scan_validate (json, strlen (json)));
  g_assert_true (_tessera_json_scan_lookup_span (json, strlen (json), first, &value, &len));
  {
    static const char expected[] = "{\"delta\":{\"content\":\"a \\\"}\\\" b\"},\"finish_reason\":\"stop\"}";

    g_assert_cmpmem (value, len, expected, sizeof expected - 1);
  }
  g_assert_cmpint (_tessera_json_scan_lookup (value, len, content, &out), ==, TESSERA_JSON_SCAN_STRING);
  g_assert_cmpstr (out, ==, "a \"}\" b");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (_tessera_json_scan_lookup (value, len, finish, &out), ==, TESSERA_JSON_SCAN_STRING);
  g_assert_cmpstr (out, ==, "stop");

  g_assert_true (_tessera_json_scan_lookup_span (json, strlen (json), number, &value, &len));
  g_assert_cmpmem (value, len, "3", 1);
  g_assert_false (_tessera_json_scan_lookup_span (json, strlen (json), third, &value, &len));
  g_assert_null (value);
  g_assert_cmpuint (len, ==, 0);
}

/* Member names with escapes compare by their decoded value. */
static void
test_escaped_key (void)
{
  const char *path[] = { "content", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (lookup ("{\"cont\\u0065nt\":\"yes\"}", path, &out), ==, TESSERA_JSON_SCAN_STRING);
  g_assert_cmpstr (out, ==, "yes");
}

/* One pass finds a top-level object's members: the first of each name,
 * escaped names by their value, never a nested member of the same name. */
static void
test_members (void)
{
  static const char * const names[] = { "error", "usage", "choices", NULL };
  const char *values[3];
  gsize lens[3];
  const char *json =
    "{ \"id\" : \"x\", \"obj\":{\"error\":1}, \"us\\u0061ge\" :  null ,"
    " \"choices\":[{\"usage\":2}], \"choices\":[] }";

  g_assert_true (_tessera_json_scan_members (json, strlen (json), names, values, lens));
  g_assert_null (values[0]);
  g_assert_cmpuint (lens[0], ==, 0);
  g_assert_cmpmem (values[1], lens[1], "null", 4);
  g_assert_cmpmem (values[2], lens[2], "[{\"usage\":2}]", 13);

  /* Not an object: valid, with no members. */
  json = "[{\"error\":1}]";
  g_assert_true (_tessera_json_scan_members (json, strlen (json), names, values, lens));
  g_assert_null (values[0]);
  g_assert_null (values[2]);

  /* Not valid: an unfinished member after the ones found, a trailing comma. */
  json = "{\"error\":{\"message\":\"x\"},\"choices\":[";
  g_assert_false (_tessera_json_scan_members (json, strlen (json), names, values, lens));
  json = "{\"error\":1,}";
  g_assert_false (_tessera_json_scan_members (json, strlen (json), names, values, lens));
  json = "{\"error\":1} x";
  g_assert_false (_tessera_json_scan_members (json, strlen (json), names, values, lens));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-scan/validate", test_validate);
  g_test_add_func ("/json-scan/deep-nesting-refused", test_deep_nesting_refused);
  g_test_add_func ("/json-scan/lookup", test_lookup);
  g_test_add_func ("/json-scan/lookup-span", test_lookup_span);
  g_test_add_func ("/json-scan/invalid-strings", test_invalid_strings);
  g_test_add_func ("/json-scan/escaped-key", test_escaped_key);
  g_test_add_func ("/json-scan/members", test_members);

  return g_test_run ();
}
