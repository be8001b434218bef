/* asm_parse.cc -- stub */
#include "pmemu_plugin.h"
void pm_classify_asm(gasm *, vec<pm_site> *) {}
