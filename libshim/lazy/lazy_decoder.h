/* lazy_decoder.h -- capstone, loaded by libpmemu-lazy.so only when a
 * process maps an image file (lazy_decoder.c) */
#ifndef PMEMU_LAZY_DECODER_H
#define PMEMU_LAZY_DECODER_H
#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* loads capstone and opens an x86-64 decoder with details, once; false
 * when it cannot (no instruction is stepped then: pages are decided
 * whole). Not in a signal handler: it loads a library and allocates. */
bool lw_decoder_load(void) __attribute__((visibility("hidden")));
/* a fork server: word (a shared mapping, 0, read-only: a page) is set
 * by the first child that loads the decoder (lw_decoder_load) */
void lw_decoder_share(volatile int *word)
	__attribute__((visibility("hidden")));
/* a fork server before a fork: loads the decoder once a child needed it */
void lw_decoder_before_fork(void) __attribute__((visibility("hidden")));
/* the instruction lw_decoder_next fills (allocated by lw_decoder_load) */
cs_insn *lw_decoder_insn(void) __attribute__((visibility("hidden")));
/* the instruction at *code into lw_decoder_insn() (cs_disasm_iter; a
 * signal handler may call it once lw_decoder_load returned true) */
bool lw_decoder_next(const uint8_t **code, size_t *len, uint64_t *addr)
	__attribute__((visibility("hidden")));

#endif
