/*
 * main.c: options, then one of three front ends over the same backend:
 * `--do` actions, batch output (-b, --json), or the full-screen console.
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/sim_console.h"
#include "backend/str.h"
#include "tui/app.h"
#include "tui/batch.h"
#include "tui/console.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: domtop [options]\n"
	    "  --demo             run on the simulated demo host instead of Xen\n"
	    "  --scenario FILE    demo host from a scenario file (implies --demo)\n"
	    "  --seed N           random seed of the demo host (default 1)\n"
	    "  -d, --delay S      seconds between samples (default 2)\n"
	    "  -b, --batch        print samples as text instead of the console\n"
	    "  -i, --iterations N number of samples in batch mode (default: forever)\n"
	    "  --json             batch output, one JSON object per sample per line\n"
	    "  --do 'ACTION'      run one action and exit (may be repeated):\n"
	    "                     weight DOM N | cap DOM N | pin DOM [VCPU|all] CPULIST |\n"
	    "                     pause DOM | unpause DOM |\n"
	    "                     throttle DOM[:DEVID] RATE [in|out|both] [for DURATION] |\n"
	    "                     unthrottle DOM[:DEVID] |\n"
	    "                     ioprio DOM[:VBD] none|idle|be[/LEVEL]|rt[/LEVEL]\n"
	    "  --read-only        refuse every action and the console attach\n"
	    "  --theme NAME       colour theme (default, mono, ...)\n"
	    "  --sort COLUMN      sort column, '-' prefix for ascending\n"
	    "  --columns LIST     visible columns, comma-separated\n"
	    "  --config FILE      read this config file instead of the default ones\n"
	    "  --audit-log FILE   where the audit trail of actions goes\n"
	    "  -h, --help         this help; -V, --version the version\n");
}

enum {
	OPT_DEMO = 256, OPT_SCENARIO, OPT_SEED, OPT_JSON, OPT_DO, OPT_READ_ONLY,
	OPT_THEME, OPT_SORT, OPT_COLUMNS, OPT_CONFIG, OPT_AUDIT_LOG,
};

static int
parse_options(int argc, char **argv, struct app_options *o)
{
	static const struct option longopts[] = {
		{ "demo", no_argument, NULL, OPT_DEMO },
		{ "scenario", required_argument, NULL, OPT_SCENARIO },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "delay", required_argument, NULL, 'd' },
		{ "batch", no_argument, NULL, 'b' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "do", required_argument, NULL, OPT_DO },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "theme", required_argument, NULL, OPT_THEME },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long n;
	char *end;
	int c;

	o->seed = 1;
	while ((c = getopt_long(argc, argv, "d:bi:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DEMO:
			o->demo = true;
			break;
		case OPT_SCENARIO:
			o->scenario = optarg;
			o->demo = true;
			break;
		case OPT_SEED:
			if (!str_to_uint(optarg, 0, UINT64_MAX, &n)) {
				fprintf(stderr, "domtop: --seed takes a whole number, not '%s'\n", optarg);
				return -1;
			}
			o->seed = n;
			break;
		case 'd':
			o->delay_s = strtod(optarg, &end);
			if (*end != '\0' || !(o->delay_s >= 0.1 && o->delay_s <= 3600)) {
				fprintf(stderr, "domtop: -d takes seconds from 0.1 to 3600, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'b':
			o->batch = true;
			break;
		case 'i':
			if (!str_to_uint(optarg, 1, 1000000000, &n)) {
				fprintf(stderr, "domtop: -i takes a number of samples >= 1, not '%s'\n", optarg);
				return -1;
			}
			o->iterations = (long)n;
			break;
		case OPT_JSON:
			o->json = true;
			o->batch = true;
			break;
		case OPT_DO:
			if (o->n_do == APP_MAX_DO) {
				fprintf(stderr, "domtop: at most %d --do actions at once\n", APP_MAX_DO);
				return -1;
			}
			o->do_cmds[o->n_do++] = optarg;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_THEME:
			o->theme = optarg;
			break;
		case OPT_SORT:
			o->sort = optarg;
			break;
		case OPT_COLUMNS:
			o->columns = optarg;
			break;
		case OPT_CONFIG:
			o->config_path = optarg;
			break;
		case OPT_AUDIT_LOG:
			o->audit_log = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("domtop %s\n", DOMTOP_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "domtop: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Every message may hold a name from outside: sanitise it on the way out. */
static void
say(FILE *f, const char *prefix, const char *msg)
{
	char clean[ERR_MSG_MAX];

	str_sanitize(clean, sizeof clean, msg);
	fprintf(f, "%s%s\n", prefix, clean);
}

/* Runs each --do action in order; stops at the first that fails. */
static int
run_actions(struct app *a)
{
	struct action act;
	struct action_result res;
	struct err e;

	for (size_t i = 0; i < a->opt.n_do; i++) {
		if (action_parse(a->opt.do_cmds[i], &act, &e) < 0) {
			say(stderr, "domtop: ", e.msg);
			return -1;
		}
		if (action_run(a->actions, &a->cur, &act, &res) < 0) {
			say(stderr, "domtop: ", res.msg);
			return -1;
		}
		say(stdout, "", res.msg);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct app a;
	struct err e;
	int rc;

	/* not an option for people: domtop re-executes itself so for a demo domain's console */
	if (argc >= 2 && strcmp(argv[1], SIM_CONSOLE_OPTION) == 0)
		return sim_console_main(argc - 1, argv + 1);
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");     /* "0.5" and "1.5mbit" parse the same everywhere */
	memset(&a, 0, sizeof a);
	if (parse_options(argc, argv, &a.opt) < 0)
		return 2;
	if (app_open(&a, &e) < 0) {
		say(stderr, "domtop: ", e.msg);
		app_close(&a);
		return 1;
	}
	for (size_t i = 0; i < a.cfg.n_warnings; i++)
		say(stderr, "domtop: ", a.cfg.warnings[i]);

	rc = 0;
	if (a.opt.n_do > 0) {
		rc = run_actions(&a) < 0 ? 1 : 0;
		if (rc != 0 || !a.opt.batch) {
			app_close(&a);
			return rc;
		}
	}
	if (a.opt.batch)
		rc = batch_run(&a, stdout, &e);
	else
		rc = console_run(&a, &e);
	if (rc < 0)
		say(stderr, "domtop: ", e.msg);
	app_close(&a);
	return rc < 0 ? 1 : 0;
}
