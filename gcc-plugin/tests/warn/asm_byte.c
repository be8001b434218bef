/* asm_byte.c -- raw bytes that are not a 0F AE flush or fence: warned */
void
raw(void)
{
	asm volatile(".byte 0x0f, 0x01, 0xd0" ::: "memory");
}
