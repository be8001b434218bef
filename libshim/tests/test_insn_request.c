/*
 * test_insn_request.c -- client requests whose constant word needs no
 * trap (insn_request.c): the word is found through the lea and movq
 * before the preamble, anything that may change it hides it, and a
 * branch into the instructions after its store keeps the trap
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>
#include <cmocka.h>

#include "insn.h"

#define REMOVE_FROM_TX 0x50430018u

static const uint8_t request[] = { /* preamble, xchg %rbx,%rbx */
	0x48, 0xc1, 0xc7, 0x03, 0x48, 0xc1, 0xc7, 0x0d,
	0x48, 0xc1, 0xc7, 0x3d, 0x48, 0xc1, 0xc7, 0x33, 0x48, 0x87, 0xdb,
};
static const uint8_t movq_word[] = { /* movq $0x50430018,(%rsp) */
	0x48, 0xc7, 0x04, 0x24, 0x18, 0x00, 0x43, 0x50 };
static const uint8_t movq_arg[] = { /* movq $0,0x70(%rsp): 70 00 inside */
	0x48, 0xc7, 0x44, 0x24, 0x70, 0x00, 0x00, 0x00, 0x00 };
static const uint8_t lea_rax[] = { 0x48, 0x8d, 0x04, 0x24 };
static const uint8_t xor_edx[] = { 0x31, 0xd2 };
static const uint8_t store_rcx[] = { 0x48, 0x89, 0x19 }; /* mov %rbx,(%rcx) */
static const uint8_t store_rdi[] = { 0x48, 0x89, 0x3c, 0x24 }; /* (%rsp) */
static const uint8_t ret[] = { 0xc3 };

struct code {
	uint8_t bytes[256];
	size_t len;
	size_t xchg;         /* offset of the request's xchg */
};

static void
put(struct code *c, const uint8_t *b, size_t n)
{
	memcpy(c->bytes + c->len, b, n);
	c->len += n;
}

static void
put_request(struct code *c)
{
	put(c, request, sizeof(request));
	c->xchg = c->len - INSN_XCHG_RBX_LEN;
}

static int
keep_site(void *ctx, const struct insn_site *s)
{
	if (s->kind == INSN_CLIENT_REQ)
		*(struct insn_site *)ctx = *s;
	return 0;
}

/* scan -- the request site of c */
static struct insn_site
scan(struct code *c)
{
	struct insn_scanner *sc = insn_scanner_new();
	struct insn_site s = { .kind = INSN_NONE };
	insn_scan(sc, c->bytes, c->len, (uintptr_t)c->bytes, keep_site, &s);
	insn_scanner_delete(sc);
	assert_int_equal(s.kind, INSN_CLIENT_REQ);
	assert_int_equal(s.addr, (uintptr_t)c->bytes + c->xchg);
	return s;
}

static bool
ignored(uint64_t word)
{
	return word == REMOVE_FROM_TX;
}

/* elided -- true when the site of c needs no trap */
static bool
elided(struct code *c)
{
	struct insn_site s = scan(c);
	struct insn_range r = { (uintptr_t)c->bytes,
		(uintptr_t)c->bytes + c->len };
	struct insn_scanner *sc = insn_scanner_new();
	size_t n = insn_requests_elide(sc, &s, 1, &r, 1, ignored);
	insn_scanner_delete(sc);
	return n == 0;
}

/* the macro's shape: word, an argument, lea, default, request */
static void
typical(struct code *c)
{
	memset(c, 0, sizeof(*c));
	put(c, movq_word, sizeof(movq_word));
	put(c, movq_arg, sizeof(movq_arg));
	put(c, lea_rax, sizeof(lea_rax));
	put(c, xor_edx, sizeof(xor_edx));
	put_request(c);
	put(c, ret, sizeof(ret));
}

static void
test_constant_word_is_found(void **state)
{
	(void)state;
	struct code c;
	typical(&c);
	struct insn_site s = scan(&c);
	assert_int_equal(s.req_word, REMOVE_FROM_TX);
	assert_int_equal(s.req_window, c.xchg - sizeof(movq_word));
	/* the 70 00 inside the movq is no branch: decoded, not a start */
	assert_true(elided(&c));
}

static void
test_word_not_ignored_keeps_trap(void **state)
{
	(void)state;
	struct code c;
	typical(&c);
	c.bytes[4] = 0x16; /* ADD_TO_TX */
	assert_false(elided(&c));
}

static void
test_branch_into_window_keeps_trap(void **state)
{
	(void)state;
	struct code c;
	typical(&c);
	size_t lea = sizeof(movq_word) + sizeof(movq_arg);
	uint8_t jmp[2] = { 0xeb, 0 };
	jmp[1] = (uint8_t)(int8_t)((long)lea - (long)(c.len + 2));
	put(&c, jmp, sizeof(jmp)); /* after the ret: jmp back to the lea */
	assert_false(elided(&c));
	/* the movq itself may be a target: it sets the word again */
	c.bytes[c.len - 1] = (uint8_t)(int8_t)(0 - (long)c.len);
	assert_true(elided(&c));
}

static void
test_unknown_word_keeps_trap(void **state)
{
	(void)state;
	const uint8_t *between[] = { store_rcx, store_rdi };
	const size_t lens[] = { sizeof(store_rcx), sizeof(store_rdi) };
	for (size_t i = 0; i < 2; i++) {
		struct code c;
		memset(&c, 0, sizeof(c));
		put(&c, movq_word, sizeof(movq_word));
		put(&c, between[i], lens[i]); /* may alias / rewrites it */
		put(&c, lea_rax, sizeof(lea_rax));
		put_request(&c);
		struct insn_site s = scan(&c);
		assert_int_equal(s.req_window, 0);
		assert_false(elided(&c));
	}
	struct code c; /* no lea: %rax comes from elsewhere */
	memset(&c, 0, sizeof(c));
	put(&c, movq_word, sizeof(movq_word));
	put_request(&c);
	assert_int_equal(scan(&c).req_window, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant_word_is_found),
		cmocka_unit_test(test_word_not_ignored_keeps_trap),
		cmocka_unit_test(test_branch_into_window_keeps_trap),
		cmocka_unit_test(test_unknown_word_keeps_trap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
