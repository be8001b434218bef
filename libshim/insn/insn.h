/*
 * insn.h -- raw flush, fence and non-temporal store instructions in code
 * that was not built with the GCC plugin: found by disassembly
 * (insn_scan.c), patched to trap (insn_patch.c), emulated on the trap
 * (insn_trap.c). docs/raw-instructions.md explains the whole scheme.
 */
#ifndef PMEMU_INSN_H
#define PMEMU_INSN_H 1

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

/* what one instruction does to persistence */
enum insn_kind {
	INSN_NONE = 0,
	INSN_CLWB,
	INSN_CLFLUSHOPT,
	INSN_CLFLUSH,
	INSN_SFENCE,
	INSN_MFENCE,
	INSN_NT_GPR,     /* movnti: width bytes of a general register */
	INSN_NT_VEC,     /* (v)movnt{dq,ps,pd,ss,sd}: xmm/ymm/zmm */
	INSN_NT_MMX,     /* movntq: an mm register */
	INSN_MOVDIRI,    /* direct store of a general register */
	INSN_MOVDIR64B,  /* 64 bytes from memory to [src register] */
	INSN_CLIENT_REQ, /* the xchg %rbx,%rbx of a Valgrind client request
	                    (client_request.c, docs/client-requests.md) */
	INSN_LOCKED,     /* lock prefix or xchg with memory: counted only */
	INSN_UNPATCHABLE, /* a target we cannot emulate (why says why) */
	INSN_KIND_MAX,
};

/* register numbers: ucontext gregs indices (REG_RAX...) or these */
#define INSN_REG_NONE (-1)
#define INSN_REG_RIP (-2)

/* register file a source operand lives in */
enum insn_regfile {
	INSN_RF_NONE = 0,
	INSN_RF_GPR,     /* src is a gregs index */
	INSN_RF_XMM,     /* src is 0..31; width bytes from its low end */
	INSN_RF_MMX,     /* src is 0..7 */
};

/* the most instructions a jump patch displaces (a client request: 5) */
#define INSN_TR_MAX 6
#define INSN_JMP_LEN 5u      /* e9 rel32 */
#define INSN_TR_BRANCH 0xff  /* tr_rel: a jcc/jmp, re-encoded as rel32 */

/* one instruction the scanner found (a patch site, a locked site...) */
struct insn_site {
	uint64_t addr;       /* runtime address of its first byte */
	int64_t disp;        /* memory operand: displacement */
	uint8_t len;         /* instruction length, bytes */
	uint8_t kind;        /* enum insn_kind */
	int8_t base;         /* memory operand: gregs index, NONE or RIP */
	int8_t index;        /* gregs index or NONE */
	uint8_t scale;       /* 1, 2, 4, 8 */
	uint8_t addr32;      /* 0x67 prefix: 32-bit effective address */
	uint8_t seg;         /* 0, or 0x64 (fs) / 0x65 (gs) override */
	uint8_t regfile;     /* enum insn_regfile of src */
	int8_t src;          /* source register (movdir64b: destination) */
	uint8_t width;       /* bytes stored (NT), 0 otherwise */
	uint8_t orig;        /* the byte the patch replaced */
	uint8_t vg_answer;   /* INSN_CLIENT_REQ: RUNNING_ON_VALGRIND's answer
	                        here (1 in PMDK's libraries, else 0) */
	const char *why;     /* INSN_UNPATCHABLE: the reason, static */
	/* while scanning (insn_request.c, insn_jump.c): the linear sweep
	 * [addr - req_sweep_back, + req_sweep_len) that decoded the site;
	 * INSN_CLIENT_REQ: the constant request word, stored req_window
	 * bytes before addr (0: unknown) */
	uint32_t req_window;
	uint32_t req_sweep_back, req_sweep_len;
	uint64_t req_word;
	/* the jump patch (insn_jump.c): a 5-byte jmp to a trampoline over
	 * [addr - jmp_back, + jmp_len), tr_n whole instructions of tr_len[i]
	 * bytes (tr_rel[i]: offset of a rip-relative disp32 in it, 0 none,
	 * INSN_TR_BRANCH a jcc/jmp);
	 * jmp_len 0: the site traps (int3) */
	uint8_t jmp_back, jmp_len, tr_n;
	uint8_t tr_len[INSN_TR_MAX], tr_rel[INSN_TR_MAX];
	uintptr_t tramp;     /* at run time: its trampoline, 0 none */
};

/* ---- insn_scan.c: decode code bytes ---- */
struct insn_scanner;

/* called per site found, in address order; non-zero stops the scan */
typedef int (*insn_found_fn)(void *ctx, const struct insn_site *site);

/* a capstone handle (x86-64, detail on); NULL if capstone fails */
struct insn_scanner *insn_scanner_new(void);
void insn_scanner_delete(struct insn_scanner *sc);
/*
 * decodes code[0, len) (mapped at runtime address addr) linearly from its
 * first byte, reporting every target and locked instruction; bytes no
 * decoder knows are skipped one at a time. 0, or the callback's value.
 */
int insn_scan(struct insn_scanner *sc, const uint8_t *code, size_t len,
		uint64_t addr, insn_found_fn found, void *ctx);
/*
 * false when code[0, len) cannot hold a patch target at any offset: none
 * of the opcode bytes of one (0F AE, 0F C3, 0F E7, 0F 2B, 0F F7, 0F 38,
 * VEX/EVEX E7, 2B, F7) occurs. Cheap, for skipping system libraries.
 */
bool insn_may_have_targets(const uint8_t *code, size_t len);
/*
 * true when code[0, avail) starts with a Valgrind client request: the
 * preamble rolq $3,$13,$61,$51 %rdi then xchgq %rbx,%rbx
 * (INSN_CLIENT_REQ_LEN bytes; the xchg is the last INSN_XCHG_RBX_LEN)
 */
#define INSN_CLIENT_REQ_LEN 19u
#define INSN_XCHG_RBX_LEN 3u
bool insn_client_request_at(const uint8_t *code, size_t avail);
/* the site of the xchg of the client request whose preamble is at addr */
void insn_client_request_site(uint64_t addr, struct insn_site *s);
/* one instruction at code (up to avail bytes): its site, 0 or -1 (bad) */
int insn_decode_one(struct insn_scanner *sc, const uint8_t *code,
		size_t avail, uint64_t addr, struct insn_site *site);
/* effective address of site's memory operand in the context uc (its
 * gregs; fs, gs: the thread's own bases) */
uintptr_t insn_effective_addr(const struct insn_site *site,
		const ucontext_t *uc);
/* "clwb", "sfence", ... for messages */
const char *insn_kind_name(enum insn_kind k);
/* true for kinds that are patched to trap */
bool insn_kind_traps(enum insn_kind k);

/* ---- insn_store.c: plain stores a fault handler may run itself ---- */
/* a plain store: site has its length, memory operand and width (bytes
 * stored); regfile INSN_RF_GPR (src's register shifted right by shift:
 * ah, ch, dh, bh), INSN_RF_XMM (xmm/ymm/zmm src, 0-31) or INSN_RF_NONE
 * (imm); align: what its address must be a multiple of (movaps...) */
struct insn_store {
	struct insn_site site;
	uint64_t imm;
	uint8_t shift;
	uint8_t align;
};
/*
 * code[0, avail), at runtime address addr: 1 when it starts with one of
 * the store forms insn_store.c lists (st filled), 0 when it does not, -1
 * when avail ends inside an instruction it might be. Async-signal-safe.
 */
int insn_store_decode(const uint8_t *code, size_t avail, uint64_t addr,
		struct insn_store *st);

/* ---- insn_request.c: client requests that need no trap ---- */
/*
 * sets s->req_* when the n instructions at offsets starts[] of the sweep
 * code[0, len) (mapped at addr; the last ends at offset pre, where the
 * preamble of the request at s begins) store a constant request word
 */
void insn_request_word(struct insn_scanner *sc, const uint8_t *code,
		size_t len, uint64_t addr, const size_t *starts, size_t n,
		size_t pre, struct insn_site *s);
struct insn_range;
/*
 * drops the client requests whose constant word ignored() calls ignored
 * (answered with the program's default) and into whose instructions
 * after the word's store no branch of code[] (runtime [lo, hi) ranges)
 * may jump; the number of sites kept (in place, order kept)
 */
size_t insn_requests_elide(struct insn_scanner *sc, struct insn_site *sites,
		size_t n, const struct insn_range *code, size_t ncode,
		bool (*ignored)(uint64_t word));

/* ---- insn_jump.c: jumps to trampolines instead of int3 ---- */
/*
 * plans the jump patch of each site of sites[0, n) (sorted; sweep fields
 * set): jmp_back, jmp_len (0: int3), tr_*; no direct branch of code[]
 * may land inside a planned range
 */
void insn_jumps_plan(struct insn_scanner *sc, struct insn_site *sites,
		size_t n, const struct insn_range *code, size_t ncode);
/*
 * writes the trampoline of head into buf[0, cap) (runtime address at):
 * an 8-byte slot holding entry (the call target of sites), the site
 * slots, then at *code_off the code: per displaced instruction i, a call
 * of entry for site calls[i], or the instruction (read from memory)
 * relocated when calls[i] is NULL; then a jmp back. The bytes used, or 0
 * (no room, or a rel32 out of reach).
 */
size_t insn_tramp_write(uint8_t *buf, size_t cap, uint64_t at,
		const struct insn_site *head,
		const struct insn_site *const *calls, uint64_t entry,
		size_t *code_off);

/* ---- insn_elf.c: the file of a loaded module ---- */
struct insn_func {
	uint64_t lo, hi;     /* link-time addresses [lo, hi) */
	const char *name;    /* into the mapped file */
};
struct insn_range {
	uint64_t lo, hi;
};
struct insn_elf {
	const uint8_t *map;  /* the whole file, read-only */
	size_t map_len;
	struct insn_func *funcs;  /* sorted by lo: .symtab, else .dynsym */
	size_t nfuncs;
	struct insn_range *exec;  /* executable sections, link-time */
	size_t nexec;
	bool plugin_built;        /* a __pmemu_ symbol (pmemu_hooks.h) */
};
/* 0, or -1 when the file cannot be read or is not an x86-64 ELF */
int insn_elf_open(const char *path, struct insn_elf *e);
void insn_elf_close(struct insn_elf *e);
/* the function holding link-time address vaddr, or NULL */
const struct insn_func *insn_elf_func(const struct insn_elf *e,
		uint64_t vaddr);

/* ---- insn_cache.c: scan results kept on disk, per module ---- */
/* what identifies a loaded module's scan */
struct insn_cache_module {
	uintptr_t base;             /* load bias (dlpi_addr) */
	const void *phdr;           /* its ElfW(Phdr)s, in memory */
	int phnum;
	const char *path;           /* its file */
	unsigned flags;             /* what else the scan depended on */
};
/* a module's scan: sites with addr an offset from the base */
struct insn_cache_entry {
	struct insn_site *sites;    /* malloc'd */
	size_t nsites;
	unsigned locked;
};
/*
 * the directory of the cache: $PMEMU_CACHE_DIR (empty: no cache), else
 * $XDG_CACHE_HOME/pmemu, else ~/.cache/pmemu, made when missing; NULL
 * when there is none or it cannot be made
 */
const char *insn_cache_dir(void);
/* the key of m (build-id, else path, device, inode, size, mtime; flags;
 * the shim's own build-id) into key; 0, or -1 */
int insn_cache_key(const struct insn_cache_module *m, char *key,
		size_t len);
/* 0 and the entry of key, or -1 (absent, stale, corrupt) */
int insn_cache_load(const char *dir, const char *key,
		struct insn_cache_entry *out);
/* writes the entry of key (a temporary file renamed); errors ignored */
void insn_cache_store(const char *dir, const char *key,
		const struct insn_cache_entry *e);

#endif
