/* asm_quiet.c -- no warning: register-only asm, barriers, pause */
unsigned
swap(unsigned x)
{
	asm("bswap %0" : "+r"(x));
	asm volatile("" ::: "memory");
	asm volatile("pause" ::: "memory");
	asm volatile("lfence" ::: "memory");
	return x;
}
