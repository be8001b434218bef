/* shim_latency.c -- busy-waits for --latency (shim_latency.h) */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "real.h"
#include "shim_core.h"
#include "shim_latency.h"

bool shim_latency_on;
static _Atomic uint64_t lat_lines, lat_fences, lat_spun_ns;
/* this thread flushed since its last fence (initial-exec: no allocation
 * on first use, which a signal handler may be) */
static __thread bool lat_unfenced __attribute__((tls_model("initial-exec")));

static uint64_t
now_ns(void)
{
	struct timespec t;
	REAL(clock_gettime)(CLOCK_MONOTONIC, &t); /* vDSO; async-signal-safe */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* spin -- burns ns nanoseconds on this CPU (a sleep would not cost the
 * program what the device would) */
static void
spin(uint64_t ns)
{
	uint64_t start = now_ns(), t;
	do {
		__builtin_ia32_pause();
		t = now_ns();
	} while (t - start < ns);
	atomic_fetch_add_explicit(&lat_spun_ns, t - start,
			memory_order_relaxed);
}

void
shim_latency_start(void)
{
	const struct shim_options *o = shim_opts();
	shim_latency_on = o->latency_flush_ns != 0 || o->latency_fence_ns != 0;
}

void
shim_latency_flush_on(size_t lines)
{
	const struct shim_options *o = shim_opts();
	lat_unfenced = true;
	if (lines == 0)
		return;
	atomic_fetch_add_explicit(&lat_lines, lines, memory_order_relaxed);
	if (o->latency_flush_ns != 0)
		spin((uint64_t)o->latency_flush_ns * lines);
}

void
shim_latency_fence_on(void)
{
	const struct shim_options *o = shim_opts();
	if (!lat_unfenced || o->latency_fence_ns == 0)
		return;
	lat_unfenced = false;
	atomic_fetch_add_explicit(&lat_fences, 1, memory_order_relaxed);
	spin(o->latency_fence_ns);
}

void
shim_latency_note(void)
{
	const struct shim_options *o = shim_opts();
	if (o->latency_flush_ns == 0 && o->latency_fence_ns == 0)
		return;
	uint64_t lines = atomic_load(&lat_lines);
	uint64_t fences = atomic_load(&lat_fences);
	char note[320];
	int n = snprintf(note, sizeof(note), "latency (--latency flush=%u,"
		"fence=%u): %llu flushed lines and %llu fences on emulated pmem, "
		"%llu ns injected, %llu ns busy-waited", o->latency_flush_ns,
		o->latency_fence_ns, (unsigned long long)lines,
		(unsigned long long)fences,
		(unsigned long long)(lines * o->latency_flush_ns +
			fences * o->latency_fence_ns),
		(unsigned long long)atomic_load(&lat_spun_ns));
	if (n > 0)
		shim_record(TRACE_REC_NOTE, 0, note, strlen(note) + 1, NULL, 0);
}
