/*
 * fuzz_action.c: libFuzzer target of action_parse (backend/action.h), which
 * reads `--do` text and, through the same syntax, what is typed at prompts.
 *
 * Properties: a parsed action has a known kind, a non-empty domain without
 * blanks, an argument with no blank at either end, an argument exactly when
 * the kind takes one, all fields NUL-terminated in their buffers; writing it
 * back as "KIND DOMAIN ARG" parses to the same action; a refusal says why.
 */
#include "backend/action.h"
#include "tests/fuzz/fuzz.h"

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), again[1024];
	struct action a, b;
	struct err e = {{0}};
	size_t n;

	if (action_parse(text, &a, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0' && fuzz_terminated(e.msg, sizeof e.msg),
		           "refused without a reason");
		free(text);
		return 0;
	}
	FUZZ_CHECK(a.kind < ACTION_NKINDS, "kind %d", (int)a.kind);
	FUZZ_CHECK(fuzz_terminated(a.target, sizeof a.target) && fuzz_terminated(a.arg, sizeof a.arg),
	           "unterminated field");
	FUZZ_CHECK(a.target[0] != '\0' && strpbrk(a.target, " \t") == NULL,
	           "domain '%s' from '%s'", a.target, text);
	n = strlen(a.arg);
	FUZZ_CHECK(n == 0 || (!blank(a.arg[0]) && !blank(a.arg[n - 1])), "argument '%s' not trimmed",
	           a.arg);
	FUZZ_CHECK((a.kind == ACTION_PAUSE || a.kind == ACTION_UNPAUSE ||
	            a.kind == ACTION_UNTHROTTLE) == (n == 0),
	           "%s with argument '%s'", action_kind_name(a.kind), a.arg);
	FUZZ_CHECK(a.vcpu == -1 && !a.is_undo, "parse set vcpu %d or undo", a.vcpu);

	snprintf(again, sizeof again, "%s %s%s%s", action_kind_name(a.kind), a.target, n ? " " : "",
	         a.arg);
	FUZZ_CHECK(action_parse(again, &b, &e) == 0, "'%s' (from '%s') is refused: %s", again, text,
	           e.msg);
	FUZZ_CHECK(b.kind == a.kind && strcmp(b.target, a.target) == 0 && strcmp(b.arg, a.arg) == 0,
	           "'%s' (from '%s') reads as another action", again, text);
	free(text);
	return 0;
}
