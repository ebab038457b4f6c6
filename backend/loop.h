/*
 * loop.h: the one event loop. poll() over registered file descriptors (the
 * terminal, pcap, netlink, job pipes, a signalfd) with one-shot timers.
 * Nothing in domtop blocks outside this loop's poll.
 */
#ifndef DOMTOP_LOOP_H
#define DOMTOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/err.h"

struct loop;

typedef void (*loop_fd_cb)(struct loop *l, int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);

int loop_new(struct loop **out, struct err *e);
void loop_free(struct loop *l);

int loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg, struct err *e);
void loop_del_fd(struct loop *l, int fd);

/* Calls cb once at or after the monotonic time deadline_ns. Returns a timer id (> 0). */
int loop_add_timer(struct loop *l, uint64_t deadline_ns, loop_timer_cb cb, void *arg, struct err *e);
void loop_del_timer(struct loop *l, int id);

/* Signals delivered through the loop (signalfd); blocks them for the process. */
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *arg);
int loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg, struct err *e);

/* Runs until loop_stop; returns -1 only when poll itself fails. */
int loop_run(struct loop *l, struct err *e);
/* Waits for and dispatches one round of events (at most timeout_ms, -1 = until a timer). */
int loop_once(struct loop *l, int timeout_ms, struct err *e);
void loop_stop(struct loop *l);

uint64_t loop_now_ns(void);   /* CLOCK_MONOTONIC */

#endif
