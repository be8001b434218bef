/* asm_unknown.c -- an instruction the plugin cannot model, in an asm that
   writes memory: warned, and its memory output reported as a store */
void
save_fpu(char (*area)[512])
{
	asm volatile("fxsave %0" : "=m"(*area));
}
