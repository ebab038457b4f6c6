/*
 * fuzz_sanitize.c: libFuzzer target of str_sanitize (backend/str.h), the one
 * guard between a hostile name and the terminal.
 *
 * Input: one byte choosing the destination size, then the string. Properties:
 * the output is valid UTF-8 with no C0, DEL, C1, bidi or line-separator
 * character (checked by fuzz.h's own decoder); it is NUL-terminated within
 * the size; a small destination keeps a prefix of what a large one gets
 * (never half a character); a clean string is copied unchanged and said to
 * be clean, and an unclean one said not to be; sanitising twice changes
 * nothing; sanitising in place gives the same result.
 */
#include "backend/str.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src, *full, *small, *again, *inplace;
	size_t n, fullsz, smallsz;
	bool clean, clean_again;

	if (size == 0)
		return 0;
	smallsz = data[0];
	src = fuzz_cstr(data + 1, size - 1);
	n = strlen(src);
	/* each input byte becomes at most one '?', or stays itself */
	fullsz = n + 1;
	full = malloc(fullsz);
	small = malloc(smallsz + 1);
	again = malloc(fullsz);
	inplace = strdup(src);
	if (full == NULL || small == NULL || again == NULL || inplace == NULL)
		abort();

	clean = str_sanitize(full, fullsz, src);
	FUZZ_CHECK(fuzz_terminated(full, fullsz), "output not terminated");
	FUZZ_CHECK(fuzz_clean(full), "unsafe byte 0x%02x at offset %zu of the output",
	           (unsigned char)*fuzz_unsafe_at(full), (size_t)(fuzz_unsafe_at(full) - full));
	FUZZ_CHECK(clean == fuzz_clean(src), "returned %d for a string that is %sclean",
	           clean, fuzz_clean(src) ? "" : "not ");
	if (clean)
		FUZZ_CHECK(strcmp(full, src) == 0, "a clean string was changed");
	FUZZ_CHECK(strlen(full) <= n, "output longer than the input");

	clean_again = str_sanitize(again, fullsz, full);
	FUZZ_CHECK(clean_again && strcmp(again, full) == 0, "sanitising twice changed the text");

	FUZZ_CHECK(str_sanitize(inplace, n + 1, inplace) == clean, "in place: another verdict");
	FUZZ_CHECK(strcmp(inplace, full) == 0, "in place: another result");

	if (smallsz > 0) {
		size_t k;

		str_sanitize(small, smallsz, src);
		k = strlen(small);
		FUZZ_CHECK(k < smallsz, "wrote %zu bytes into %zu", k + 1, smallsz);
		FUZZ_CHECK(strncmp(small, full, k) == 0, "a short buffer got other text");
		FUZZ_CHECK(fuzz_clean(small), "a short buffer got an unsafe or cut character");
		/* it stops only when the next character does not fit */
		if (k < strlen(full)) {
			uint32_t cp;
			size_t next = full[k] == '?' ? 1 : fuzz_utf8_len((const unsigned char *)full + k, &cp);
			FUZZ_CHECK(k + next >= smallsz, "stopped at %zu with room for the next character "
			           "(size %zu)", k, smallsz);
		}
	} else {
		FUZZ_CHECK(!str_sanitize(small, 0, src), "size 0 must return false");
	}

	free(src);
	free(full);
	free(small);
	free(again);
	free(inplace);
	return 0;
}
