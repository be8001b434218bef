/* asm.c -- inline asm the plugin reads: PMDK-style flushes (mnemonics,
   the old .byte-prefixed forms, raw 0F AE bytes), fences, locked
   instructions, xchg, movnt*, plain stores and compiler barriers */
#include "prog.h"

NOIPA void a_clflush(char *p) { asm volatile("clflush %0" : "+m"(*(volatile char *)p)); } /* pmemu: clflush 0 */
NOIPA void a_clflushopt(char *p) { asm volatile(".byte 0x66; clflush %0" : "+m"(*(volatile char *)p)); } /* pmemu: clflushopt 64 [clflushopt] */
NOIPA void a_clwb(char *p) { asm volatile(".byte 0x66; xsaveopt %0" : "+m"(*(volatile char *)p)); } /* pmemu: clwb 128 [clwb] */
NOIPA void a_clwb_raw(char *p) { asm volatile(".byte 0x66, 0x0f, 0xae, 0x30" : : "a"(p) : "memory"); } /* pmemu: clwb 192 [clwb] */
NOIPA void a_clflushopt_raw(char *p) { asm volatile(".byte 0x66, 0x0f, 0xae, 0x3f" : : "D"(p) : "memory"); } /* pmemu: clflushopt 256 [clflushopt] */
NOIPA void a_clwb_mnem(char *p) { asm volatile("clwb (%0)" : : "r"(p) : "memory"); } /* pmemu: clwb 320 [clwb] */
NOIPA void a_sfence(void) { asm volatile("sfence" ::: "memory"); } /* pmemu: sfence */
NOIPA void a_mfence(void) { asm volatile("mfence" ::: "memory"); } /* pmemu: mfence */
NOIPA void a_sfence_raw(void) { asm volatile(".byte 0x0f, 0xae, 0xf8" ::: "memory"); } /* pmemu: sfence */
NOIPA void a_lock_add(int *p) { asm volatile("lock; addl $1, %0" : "+m"(*p) : : "memory"); } /* pmemu: store 384 4, locked */
NOIPA void a_lock_inline(long *p) { asm volatile("lock orq $2, %0" : "+m"(*p)); } /* pmemu: store 392 8, locked */
NOIPA int a_xchg(int *p, int v) { asm volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory"); return v; } /* pmemu: store 400 4, locked */
NOIPA void a_xchg_reg(void) { int a = 1, b = 2; asm volatile("xchgl %0, %1" : "+r"(a), "+r"(b)); }
NOIPA void a_movnti(int *p, int v) { asm volatile("movnti %1, %0" : "=m"(*p) : "r"(v)); } /* pmemu: store_nt 404 4 */
NOIPA void a_movntq(long *p, long v) { asm volatile("movnti %1, (%0)" : : "r"(p), "r"(v) : "memory"); } /* pmemu: store_nt 408 8 */
NOIPA void a_mov(long *p, long v) { asm volatile("movq %1, %0" : "=m"(*p) : "r"(v)); } /* pmemu: store 416 8 */
NOIPA void a_barrier(void) { asm volatile("" ::: "memory"); }
NOIPA void a_pause(void) { asm volatile("pause" ::: "memory"); }
NOIPA void a_lines(char *p) { asm volatile("clflush %0\n\tsfence" : "+m"(*(volatile char *)p) : : "memory"); } /* pmemu: clflush 448, sfence */

int
main(void)
{
	char *pm = prog_pmem();
	a_clflush(pm);
	if (prog_cpu_has("clflushopt")) {
		a_clflushopt(pm + 64);
		a_clflushopt_raw(pm + 256);
	}
	if (prog_cpu_has("clwb")) {
		a_clwb(pm + 128);
		a_clwb_raw(pm + 192);
		a_clwb_mnem(pm + 320);
	}
	a_sfence();
	a_mfence();
	a_sfence_raw();
	a_lock_add((int *)(pm + 384));
	a_lock_inline((long *)(pm + 392));
	a_xchg((int *)(pm + 400), 5);
	a_xchg_reg();
	a_movnti((int *)(pm + 404), 6);
	a_movntq((long *)(pm + 408), 7);
	a_mov((long *)(pm + 416), 8);
	a_barrier();
	a_pause();
	a_lines(pm + 448);
	printf("asm %lu\n", prog_sum(pm, 512));
	return 0;
}
