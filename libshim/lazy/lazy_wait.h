/* lazy_wait.h -- the file <PMEMU_IMAGE>.lazy-wait that a lazy run's
 * processes share when libpmemu-lazy.so forks the check at a read
 * (lazy_fork.c): per nesting level, how long its process has waited for
 * the children it forked, so that the one waiting for it (its parent,
 * or the slot's runner for level 0: emulator/explore/check_runner.c)
 * counts only the time it ran itself against --check-timeout */
#ifndef PMEMU_LAZY_WAIT_H
#define PMEMU_LAZY_WAIT_H
#include <stdint.h>

#define LW_WAIT_DEPTH 255

struct lw_wait_level {
	uint64_t waited_ns;  /* waited for children, done */
	uint64_t since_ns;   /* waiting since (CLOCK_MONOTONIC), 0: not */
	int32_t pid;         /* the process at this level now, 0: none */
	int32_t broken;      /* it could not become the run: no verdict */
};

struct lw_wait {
	uint64_t forks;      /* children forked in the run, every level */
	struct lw_wait_level lvl[LW_WAIT_DEPTH];
};

/* the time level l has waited in ns, at now_ns */
static inline uint64_t
lw_wait_ns(const struct lw_wait_level *l, uint64_t now_ns)
{
	uint64_t since = __atomic_load_n(&l->since_ns, __ATOMIC_SEQ_CST);
	uint64_t w = __atomic_load_n(&l->waited_ns, __ATOMIC_SEQ_CST);
	return w + (since != 0 && now_ns > since ? now_ns - since : 0);
}

#endif
