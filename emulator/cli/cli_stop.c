/* cli_stop.c -- SIGINT, SIGTERM and the time limit as a flag: the
 * explorer polls it between states and while waiting for checks, then
 * kills what runs, removes its temporary files and reports what it did */
#include <math.h>
#include <string.h>
#include <sys/time.h>

#include "cli_stop.h"

volatile sig_atomic_t cli_stop_signal;

static void
on_stop(int sig)
{
	if (cli_stop_signal == 0)
		cli_stop_signal = sig;
}

void
cli_stop_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: waits return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void
cli_stop_after(double seconds)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

int
cli_stop_exit_code(void)
{
	return 128 + cli_stop_signal;
}
