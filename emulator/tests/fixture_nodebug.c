/* fixture_nodebug.c -- a function in a module built without debug info
 * (test_symbolize.c resolves an address inside it) */
void *fixture_nodebug_pc(void);

static void *volatile fixture_pc;

/* the address of an instruction inside this function */
void *
fixture_nodebug_pc(void)
{
	fixture_pc = &&here;
here:
	return fixture_pc;
}
