/* strings.c -- memcpy, memmove, memset and the str* builtins, whether GCC
   keeps the call or expands it */
#include "prog.h"

NOIPA void do_memcpy(char *d, const char *s, size_t n) { memcpy(d, s, n); } /* pmemu: store 0 100 */
NOIPA void do_memcpy8(char *d, const char *s) { memcpy(d, s, 8); } /* pmemu: store 128 8 */
NOIPA void do_memmove(char *d, size_t n) { memmove(d, d + 1, n); } /* pmemu: store 256 50 */
NOIPA void do_memset(char *d, size_t n) { memset(d, 0x5a, n); } /* pmemu: store 384 300 */
NOIPA void do_strcpy(char *d, const char *s) { strcpy(d, s); } /* pmemu: store 1024 6 */
NOIPA void do_strncpy(char *d, const char *s) { strncpy(d, s, 16); } /* pmemu: store 1088 16 */
NOIPA char *do_stpcpy(char *d, const char *s) { return stpcpy(d, s); } /* pmemu: store 1152 4 */
NOIPA void do_strcat(char *d, const char *s) { strcat(d, s); } /* pmemu: store 1219 4 */
NOIPA void do_strncat(char *d, const char *s) { strncat(d, s, 2); } /* pmemu: store 1286 3 */

int
main(void)
{
	char *pm = prog_pmem();
	char src[128];
	for (int i = 0; i < 128; i++)
		src[i] = (char)i;
	do_memcpy(pm, src, 100);
	do_memcpy8(pm + 128, src);
	do_memmove(pm + 256, 50);
	do_memset(pm + 384, 300);
	do_strcpy(pm + 1024, "hello");
	do_strncpy(pm + 1088, "abc");
	do_stpcpy(pm + 1152, "xyz");
	memcpy(pm + 1216, "abc", 4); /* pmemu: store 1216 4 */
	do_strcat(pm + 1216, "def");
	memcpy(pm + 1280, "abcdef", 7); /* pmemu: store 1280 7 */
	do_strncat(pm + 1280, "ghijk");
	printf("strings %s %s %lu\n", pm + 1216, pm + 1280,
	       prog_sum(pm, 2048));
	return 0;
}
