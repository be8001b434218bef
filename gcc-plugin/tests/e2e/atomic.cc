// atomic.cc -- std::atomic<T>::fetch_add is the only fence after a clwb
// (a locked RMW, as in rmw.c, through <atomic>); the buggy twin makes a
// relaxed store instead, which fences nothing
#include <atomic>
#include "e2e.h"

struct rec {
	long a;
	char pad[56];
	long b;
};

static std::atomic<long> counter; // in DRAM: only the RMW's fence matters

int
main(int argc, char **argv)
{
	rec *r = reinterpret_cast<rec *>(e2e_pool(argc, argv));
	r->b = argc;
	__builtin_ia32_clwb(&r->b); /* PLANTED */
#ifdef BUGGY
	counter.store(1, std::memory_order_relaxed);
#else
	counter.fetch_add(1, std::memory_order_relaxed);
#endif
	return 0;
}
