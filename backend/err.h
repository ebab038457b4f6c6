/*
 * err.h: errors as values. Every failing call fills a struct err with one
 * sentence an operator can act on (what failed, why, what to do) and returns -1.
 */
#ifndef DOMTOP_ERR_H
#define DOMTOP_ERR_H

#define ERR_MSG_MAX 512

struct err {
	char msg[ERR_MSG_MAX];
};

/* Formats the message into e (if e is not NULL) and returns -1. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes an existing message: "prefix: old message". Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
