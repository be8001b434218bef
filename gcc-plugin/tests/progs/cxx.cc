// cxx.cc -- C++: members, constructors, std::atomic, std::copy, a store
// on the normal edge of a call that may throw, templates; std::atomic
// and std::fill sites name the user's line once inlined (std::fill: -O2;
// at -O0 a release store with a variable order is GCC's seq_cst: a fence)
#include <atomic>
#include <algorithm>
#include <new>
#include <stdexcept>
#include "prog.h"

struct node {
	long key;
	node *next;
	NOIPA node(long k) : key(k), next(nullptr) {} // pmemu: store 0 8, store 8 8
};

template <typename T> NOIPA void put(T *p, T v) { *p = v; } // pmemu: store 16 4, store 24 8

NOIPA long may_throw(long v) { if (v < 0) throw std::runtime_error("neg"); return v * 2; }
NOIPA void put_result(long *p, long v) { *p = may_throw(v); } // pmemu: store 32 8
NOIPA void publish(std::atomic<long> *a) { a->store(5, std::memory_order_release); } // pmemu: store 40 8, locked [O0]
NOIPA void publish_sc(std::atomic<long> *a) { a->store(6); } // pmemu: store 48 8, locked
NOIPA void bump(std::atomic<int> *a) { a->fetch_add(1); } // pmemu: store 56 4, locked
NOIPA void cas(long *p) { long e = 0; __atomic_compare_exchange_n(p, &e, 1L, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); } // pmemu: store 104 8, locked
NOIPA void fill(char *p) { std::fill(p, p + 40, 'z'); } // pmemu: store 64 40 [O2]

int
main()
{
	char *pm = prog_pmem();
	new (pm) node(3);
	put<int>((int *)(pm + 16), 4);
	put<long>((long *)(pm + 24), 5);
	put_result((long *)(pm + 32), 21);
	publish(new (pm + 40) std::atomic<long>);
	publish_sc(reinterpret_cast<std::atomic<long> *>(pm + 48));
	bump(reinterpret_cast<std::atomic<int> *>(pm + 56));
	fill(pm + 64);
	cas((long *)(pm + 104));
	printf("cxx %lu\n", prog_sum(pm, 128));
	return 0;
}
