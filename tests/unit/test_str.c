/*
 * test_str.c: the sanitiser and the small string helpers (backend/str.h),
 * and error messages cut to fit (backend/err.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "backend/err.h"
#include "backend/str.h"

static void
check_sanitize(const char *in, const char *want, bool want_clean)
{
	char out[256];

	assert_int_equal(str_sanitize(out, sizeof out, in), want_clean);
	assert_string_equal(out, want);
}

static void
test_sanitize_keeps_printable(void **state)
{
	(void)state;
	check_sanitize("web1", "web1", true);
	check_sanitize("", "", true);
	check_sanitize("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true);
	check_sanitize("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", true);   /* CJK */
	check_sanitize("a b~", "a b~", true);
}

static void
test_sanitize_controls(void **state)
{
	(void)state;
	check_sanitize("a\x1b[2Jb", "a?[2Jb", false);          /* ESC */
	check_sanitize("\ttab\n\r", "?tab??", false);
	check_sanitize("del\x7f", "del?", false);
	check_sanitize("\x01\x1f", "??", false);
	check_sanitize("c1\xc2\x9b" "31m", "c1?31m", false);   /* U+009B CSI */
	check_sanitize("\xc2\x80\xc2\x9f", "??", false);       /* C1 range ends */
	check_sanitize("\xc2\xa0", "\xc2\xa0", true);          /* U+00A0 is printable */
}

static void
test_sanitize_bidi(void **state)
{
	(void)state;
	check_sanitize("x\xe2\x80\xaey", "x?y", false);        /* U+202E RLO */
	check_sanitize("\xe2\x80\xaa\xe2\x80\xac", "??", false);  /* U+202A, U+202C */
	check_sanitize("\xe2\x81\xa6\xe2\x81\xa9", "??", false);  /* U+2066, U+2069 */
	check_sanitize("\xe2\x80\xa9", "?", false);            /* U+2029 */
	check_sanitize("\xe2\x80\xa9z", "?z", false);
	check_sanitize("\xe2\x81\xa5", "\xe2\x81\xa5", true);  /* U+2065 is not one */
}

static void
test_sanitize_invalid_utf8(void **state)
{
	(void)state;
	check_sanitize("\xff", "?", false);
	check_sanitize("\x80x", "?x", false);                  /* lone continuation */
	check_sanitize("\xc3", "?", false);                    /* truncated */
	check_sanitize("\xc3(", "?(", false);                  /* bad continuation */
	check_sanitize("\xc0\xaf", "??", false);               /* overlong '/' */
	check_sanitize("\xe0\x80\xaf", "???", false);          /* overlong, 3 bytes */
	check_sanitize("\xed\xa0\x80", "???", false);          /* surrogate U+D800 */
	check_sanitize("\xf4\x90\x80\x80", "????", false);     /* above U+10FFFF */
	check_sanitize("\xf8\x88\x80\x80\x80", "?????", false);
	check_sanitize("\xe2\x82", "??", false);               /* truncated at the end */
}

static void
test_sanitize_bounds(void **state)
{
	char out[6];

	(void)state;
	assert_true(str_sanitize(out, sizeof out, "abcdefgh"));
	assert_string_equal(out, "abcde");
	/* a 3-byte character that does not fit whole is left out */
	assert_true(str_sanitize(out, sizeof out, "abc\xe2\x82\xac"));
	assert_string_equal(out, "abc");
	assert_false(str_sanitize(out, 1, "\x1b"));
	assert_string_equal(out, "");
	assert_false(str_sanitize(out, 0, "x"));
}

static void
test_sanitize_every_byte(void **state)
{
	char in[2] = {0, 0}, out[8];

	(void)state;
	for (int c = 1; c < 256; c++) {
		in[0] = (char)c;
		str_sanitize(out, sizeof out, in);
		if (c >= 0x20 && c < 0x7f)
			assert_int_equal((unsigned char)out[0], c);
		else
			assert_string_equal(out, "?");
	}
}

static void
test_sanitize_in_place(void **state)
{
	char b[32] = "a\xe2\x80\xae" "bc\x1b\xc3\xa9" "d";

	(void)state;
	assert_false(str_sanitize(b, sizeof b, b));
	assert_string_equal(b, "a?bc?\xc3\xa9" "d");
}

static void
test_copy(void **state)
{
	char b[4];

	(void)state;
	assert_int_equal(str_copy(b, "hello", sizeof b), 5);
	assert_string_equal(b, "hel");
	assert_int_equal(str_copy(b, "hi", sizeof b), 2);
	assert_string_equal(b, "hi");
	assert_int_equal(str_copy(b, "", sizeof b), 0);
	assert_string_equal(b, "");
}

static void
test_trim(void **state)
{
	char a[] = "  \tx y \n", b[] = "   ", c[] = "z";

	(void)state;
	assert_string_equal(str_trim(a), "x y");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "z");
}

static void
test_to_uint(void **state)
{
	unsigned long long v = 7;

	(void)state;
	assert_true(str_to_uint("0", 0, 10, &v));
	assert_int_equal(v, 0);
	assert_true(str_to_uint("65535", 1, 65535, &v));
	assert_int_equal(v, 65535);
	assert_true(str_to_uint("18446744073709551615", 0, ~0ULL, &v));
	assert_true(v == ~0ULL);
	assert_false(str_to_uint("18446744073709551616", 0, ~0ULL, &v));
	assert_false(str_to_uint("65536", 1, 65535, &v));
	assert_false(str_to_uint("0", 1, 65535, &v));
	assert_false(str_to_uint("", 0, 10, &v));
	assert_false(str_to_uint("-1", 0, 10, &v));
	assert_false(str_to_uint("+1", 0, 10, &v));
	assert_false(str_to_uint(" 1", 0, 10, &v));
	assert_false(str_to_uint("1 ", 0, 10, &v));
	assert_false(str_to_uint("0x10", 0, 100, &v));
	assert_false(str_to_uint(NULL, 0, 10, &v));
}

/* A message cut to fit never ends inside a UTF-8 character: it stays clean text. */
static void
test_err_cut_keeps_utf8_whole(void **state)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x92\xa5", "a" };
	char text[2 * ERR_MSG_MAX], clean[ERR_MSG_MAX];
	struct err e;

	(void)state;
	for (size_t c = 0; c < sizeof chars / sizeof chars[0]; c++) {
		size_t w = strlen(chars[c]);

		for (size_t pad = 0; pad < 4; pad++) {      /* every place the cut can fall */
			memset(text, 'x', pad);
			text[pad] = '\0';
			while (strlen(text) + w < sizeof text)
				strcat(text, chars[c]);
			err_set(&e, "%s", text);
			assert_true(str_sanitize(clean, sizeof clean, e.msg));
			assert_true(strlen(e.msg) > ERR_MSG_MAX - 5);
			err_prefix(&e, "vbd %s", "xvda");
			assert_true(str_sanitize(clean, sizeof clean, e.msg));
			assert_memory_equal(e.msg, "vbd xvda: ", 10);
		}
	}
	err_set(&e, "short \xc3\xa9");                /* not cut: left alone */
	assert_string_equal(e.msg, "short \xc3\xa9");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_keeps_printable),
		cmocka_unit_test(test_sanitize_controls),
		cmocka_unit_test(test_sanitize_bidi),
		cmocka_unit_test(test_sanitize_invalid_utf8),
		cmocka_unit_test(test_sanitize_bounds),
		cmocka_unit_test(test_sanitize_every_byte),
		cmocka_unit_test(test_sanitize_in_place),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_to_uint),
		cmocka_unit_test(test_err_cut_keeps_utf8_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
