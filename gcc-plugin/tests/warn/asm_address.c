/* asm_address.c -- a flush whose base register is bound to no operand */
void
flush_rbx(void)
{
	asm volatile("clflush (%%rbx)" ::: "memory");
}
