/* cli_stop.h -- SIGINT, SIGTERM and a time limit ask a long command to
 * stop and report what it did (cli_stop.c) */
#ifndef PMEMU_CLI_STOP_H
#define PMEMU_CLI_STOP_H 1

#include <signal.h>

/* the signal that asked to stop (SIGALRM: the time limit), or 0 */
extern volatile sig_atomic_t cli_stop_signal;
/* catches SIGINT and SIGTERM (system calls return EINTR) and ignores
 * SIGPIPE (a dead helper's pipe is an error, not death) */
void cli_stop_catch(void);
/* SIGALRM after seconds (> 0) sets cli_stop_signal */
void cli_stop_after(double seconds);
/* 130 for SIGINT, 143 for SIGTERM */
int cli_stop_exit_code(void);

#endif
