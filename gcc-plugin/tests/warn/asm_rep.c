/* asm_rep.c -- rep stosb writes memory through %rdi: warned */
void
zero(char *p, unsigned long n)
{
	asm volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(0) : "memory");
}
