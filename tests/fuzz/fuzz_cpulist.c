/*
 * fuzz_cpulist.c: libFuzzer target of xl's cpulist syntax (backend/cpulist.h),
 * which `pin` actions, the pin prompt and scenario files take.
 *
 * Input: two bytes giving the host's pCPU count (1..1024), then the text.
 * Properties: a list that parses sets at least one pCPU and none the host
 * lacks, and is made only of the syntax's characters; formatting the set
 * and parsing that again gives the same set (also for any set built from the
 * input's bytes); a failure always says why.
 */
#include "backend/cpulist.h"
#include "tests/fuzz/fuzz.h"

#define FORMAT_MAX 8192   /* "0,2,4,...,1022" is about 2.5 KB */

static void
check_round_trip(const struct cpuset *set, unsigned nr, const char *from)
{
	char text[FORMAT_MAX];
	struct cpuset again;
	struct err e = {{0}};

	cpulist_format(set, nr, text, sizeof text);
	FUZZ_CHECK(cpulist_parse(text, nr, &again, &e) == 0, "'%s' (from '%s') does not parse: %s",
	           text, from, e.msg);
	FUZZ_CHECK(cpuset_equal(set, &again), "'%s' (from '%s') reads back as another set", text, from);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpuset set, bits;
	struct err e = {{0}};
	unsigned nr;
	char *text;

	if (size < 2)
		return 0;
	nr = 1 + ((unsigned)data[0] << 8 | data[1]) % SAMPLE_MAX_PCPUS;
	text = fuzz_cstr(data + 2, size - 2);
	if (cpulist_parse(text, nr, &set, &e) == 0) {
		FUZZ_CHECK(strspn(text, "0123456789,-^al") == strlen(text), "'%s' parsed", text);
		FUZZ_CHECK(cpuset_count(&set) >= 1 && cpuset_count(&set) <= nr,
		           "'%s' sets %u of %u pCPUs", text, cpuset_count(&set), nr);
		for (unsigned c = nr; c < SAMPLE_MAX_PCPUS; c++)
			FUZZ_CHECK(!cpuset_has(&set, c), "'%s' sets cpu %u of a %u-pCPU host", text, c, nr);
		check_round_trip(&set, nr, text);
	} else {
		FUZZ_CHECK(e.msg[0] != '\0' && fuzz_terminated(e.msg, sizeof e.msg),
		           "'%s' failed without a reason", text);
	}
	/* any non-empty set within the host formats and parses back */
	cpuset_zero(&bits);
	for (size_t i = 2; i < size && (i - 2) * 8 < nr; i++)
		for (unsigned b = 0; b < 8 && (i - 2) * 8 + b < nr; b++)
			if (data[i] & (1u << b))
				cpuset_set(&bits, (unsigned)(i - 2) * 8 + b);
	if (cpuset_count(&bits) > 0)
		check_round_trip(&bits, nr, "input bits");
	free(text);
	return 0;
}
