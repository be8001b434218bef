/*
 * insn_cache.c -- the scan result of a module, kept on disk so a program
 * started again (or another program using the same libraries) skips the
 * disassembly (docs/raw-instructions.md, "The scan cache")
 *
 * One file per module, named by a hash of its key: the module's build-id
 * (else its path, device, inode, size and modification time), the flags
 * the scan depended on and libpmemu.so's own build-id, so a rebuilt shim
 * never reads an older scanner's result. The file holds a header (magic,
 * version, key length, site count, locked count, checksum), the key and
 * the sites as module offsets. It is written to a temporary file and
 * renamed, and everything is checked on load: a file that fails any check
 * is a miss, and the fresh scan replaces it. Raw system calls: the shim
 * interposes open, rename and unlink, and this runs in its constructor.
 */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "insn.h"
#include "shim_syscall.h"

#define CACHE_MAGIC "pmemuscn"
/* files the cache keeps: past CACHE_FILES_MAX the oldest written go, down
 * to CACHE_FILES_KEEP (every rebuilt program or library adds one) */
#define CACHE_FILES_MAX 1024
#define CACHE_FILES_KEEP 768
#define CACHE_VERSION 2u   /* 2: the jump plan (insn_jump.c) */
#define CACHE_SITES_MAX (1u << 22)

struct cache_header {
	char magic[8];
	uint32_t version;
	uint32_t key_len;
	uint64_t nsites;
	uint32_t locked;
	uint32_t reserved;
	uint64_t checksum;     /* FNV-1a of the key and the records */
};

/* one site, its address an offset from the module's load base */
struct cache_record {
	uint64_t off;
	int64_t disp;
	uint8_t len, kind, scale, addr32, seg, regfile, width, orig;
	int8_t base, index, src;
	uint8_t vg_answer;
	uint8_t jmp_back, jmp_len, tr_n;
	uint8_t tr_len[INSN_TR_MAX], tr_rel[INSN_TR_MAX];
	uint8_t pad[5];
};

/* this object's own ELF header (the linker defines it) */
extern const ElfW(Ehdr) __ehdr_start
	__attribute__((visibility("hidden")));

/* fnv -- FNV-1a 64 of len bytes, continuing from h */
static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* build_id -- the NT_GNU_BUILD_ID of the object whose notes are in
 * phdr, as hex into out (out_len >= 2 * 64 + 1); 0, or -1 when none */
static int
build_id(uintptr_t base, const ElfW(Phdr) *phdr, int phnum, char *out,
		size_t out_len)
{
	for (int i = 0; i < phnum; i++) {
		if (phdr[i].p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(base + phdr[i].p_vaddr);
		const uint8_t *end = p + phdr[i].p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof(*n);
			const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
			p = desc + ((n->n_descsz + 3) & ~3u);
			if (p > end || n->n_type != NT_GNU_BUILD_ID ||
					n->n_namesz != 4 ||
					memcmp(name, "GNU", 4) != 0 ||
					n->n_descsz == 0 || n->n_descsz > 64 ||
					out_len < 2 * n->n_descsz + 1)
				continue;
			for (size_t k = 0; k < n->n_descsz; k++)
				snprintf(out + 2 * k, 3, "%02x", desc[k]);
			return 0;
		}
	}
	return -1;
}

/* self_id -- libpmemu.so's build-id, "-" when it has none */
static const char *
self_id(void)
{
	static char id[129];
	const ElfW(Ehdr) *eh = &__ehdr_start;
	if (id[0] == '\0' && build_id((uintptr_t)eh,
			(const ElfW(Phdr) *)((const uint8_t *)eh + eh->e_phoff),
			eh->e_phnum, id, sizeof(id)) < 0)
		strcpy(id, "-");
	return id;
}

int
insn_cache_key(const struct insn_cache_module *m, char *key, size_t len)
{
	char id[129];
	int n;
	if (build_id(m->base, m->phdr, m->phnum, id, sizeof(id)) == 0) {
		n = snprintf(key, len, "shim %s flags %u build-id %s",
				self_id(), m->flags, id);
	} else {
		struct stat st;
		if (shim_syscall(SYS_stat, m->path, &st) != 0)
			return -1;
		n = snprintf(key, len, "shim %s flags %u file %s dev %lu ino "
				"%lu size %lld mtime %lld.%09ld", self_id(),
				m->flags, m->path, (unsigned long)st.st_dev,
				(unsigned long)st.st_ino,
				(long long)st.st_size,
				(long long)st.st_mtim.tv_sec,
				st.st_mtim.tv_nsec);
	}
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/*
 * make_dir -- mkdir, fine when it exists and is ours alone: a cached scan
 * decides which instructions are patched, so a directory another user
 * can write to (a shared /tmp) is no cache (docs/shim.md, Files)
 */
static bool
make_dir(const char *path)
{
	struct stat st;
	(void)shim_syscall(SYS_mkdir, path, 0700);
	return shim_syscall(SYS_lstat, path, &st) == 0 && S_ISDIR(st.st_mode) &&
		st.st_uid == (uid_t)shim_syscall(SYS_geteuid) &&
		(st.st_mode & (S_IWGRP | S_IWOTH)) == 0 &&
		shim_syscall(SYS_access, path, W_OK | X_OK) == 0;
}

const char *
insn_cache_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("PMEMU_CACHE_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char parent[PATH_MAX];
	if (env != NULL) {
		if (env[0] == '\0' || strlen(env) >= sizeof(dir))
			return NULL; /* empty: no cache */
		strcpy(dir, env);
		return make_dir(dir) ? dir : NULL;
	}
	if (xdg != NULL && xdg[0] == '/')
		snprintf(parent, sizeof(parent), "%s", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(parent, sizeof(parent), "%s/.cache", home);
	else
		return NULL;
	if (snprintf(dir, sizeof(dir), "%s/pmemu", parent) >=
			(int)sizeof(dir))
		return NULL;
	return make_dir(parent) && make_dir(dir) ? dir : NULL;
}

/* file_of -- the cache file of key in dir */
static int
file_of(const char *dir, const char *key, char *path, size_t len)
{
	uint64_t h = fnv(0xcbf29ce484222325ull, key, strlen(key));
	int n = snprintf(path, len, "%s/%016llx.scan", dir,
			(unsigned long long)h);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* read_all -- the whole file, malloc'd; NULL on any error */
static uint8_t *
read_all(const char *path, size_t *len)
{
	long fd = shim_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	uint8_t *buf = NULL;
	if (shim_syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) &&
			st.st_size >= (off_t)sizeof(struct cache_header) &&
			st.st_size < (off_t)(64u << 20))
		buf = malloc((size_t)st.st_size);
	size_t got = 0;
	while (buf != NULL && got < (size_t)st.st_size) {
		long r = shim_syscall(SYS_read, fd, buf + got,
				(size_t)st.st_size - got);
		if (r <= 0) {
			free(buf);
			buf = NULL;
		}
		got += r > 0 ? (size_t)r : 0;
	}
	shim_syscall(SYS_close, fd);
	*len = got;
	return buf;
}

/* jump_ok -- the jump plan covers whole instructions holding the site */
static bool
jump_ok(const struct cache_record *r)
{
	unsigned sum = 0;
	if (r->jmp_len == 0)
		return true;
	if (r->tr_n == 0 || r->tr_n > INSN_TR_MAX ||
			r->jmp_len < INSN_JMP_LEN || r->jmp_back >= r->jmp_len)
		return false;
	for (unsigned i = 0; i < r->tr_n; i++) {
		if (r->tr_len[i] == 0 || r->tr_len[i] > 15 ||
				(r->tr_rel[i] != 0 &&
				r->tr_rel[i] != INSN_TR_BRANCH &&
				r->tr_rel[i] + 4u > r->tr_len[i]))
			return false;
		sum += r->tr_len[i];
	}
	return sum == r->jmp_len;
}

/* record_ok -- the fields of a site the trap handler indexes with */
static bool
record_ok(const struct cache_record *r)
{
	return insn_kind_traps((enum insn_kind)r->kind) && r->len > 0 &&
		r->len <= INSN_CLIENT_REQ_LEN && r->base >= INSN_REG_RIP &&
		r->base < NGREG && r->index >= INSN_REG_NONE &&
		r->index < NGREG && (r->scale & (r->scale - 1)) == 0 &&
		r->scale <= 8 && r->src >= INSN_REG_NONE && r->src < 32 &&
		r->regfile <= INSN_RF_MMX && r->width <= 64 &&
		(r->seg == 0 || r->seg == 0x64 || r->seg == 0x65) &&
		jump_ok(r);
}

static void
record_to_site(const struct cache_record *r, struct insn_site *s)
{
	*s = (struct insn_site){ .addr = r->off, .disp = r->disp,
		.len = r->len, .kind = r->kind, .base = r->base,
		.index = r->index, .scale = r->scale, .addr32 = r->addr32,
		.seg = r->seg, .regfile = r->regfile, .src = r->src,
		.width = r->width, .orig = r->orig,
		.vg_answer = r->vg_answer, .jmp_back = r->jmp_back,
		.jmp_len = r->jmp_len, .tr_n = r->tr_n };
	memcpy(s->tr_len, r->tr_len, sizeof(s->tr_len));
	memcpy(s->tr_rel, r->tr_rel, sizeof(s->tr_rel));
}

/* parse -- a file's content against key into out; 0, or -1 */
static int
parse(const uint8_t *buf, size_t len, const char *key,
		struct insn_cache_entry *out)
{
	struct cache_header h;
	memcpy(&h, buf, sizeof(h));
	size_t key_len = strlen(key);
	const uint8_t *body = buf + sizeof(h);
	if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 ||
			h.version != CACHE_VERSION || h.key_len != key_len ||
			h.nsites > CACHE_SITES_MAX ||
			len != sizeof(h) + key_len +
			h.nsites * sizeof(struct cache_record) ||
			memcmp(body, key, key_len) != 0 ||
			fnv(0xcbf29ce484222325ull, body, len - sizeof(h)) !=
			h.checksum)
		return -1;
	out->sites = malloc((h.nsites + 1) * sizeof(*out->sites));
	if (out->sites == NULL)
		return -1;
	const uint8_t *rec = body + key_len;
	for (size_t i = 0; i < h.nsites; i++) {
		struct cache_record r;
		memcpy(&r, rec + i * sizeof(r), sizeof(r));
		if (!record_ok(&r)) {
			free(out->sites);
			return -1;
		}
		record_to_site(&r, &out->sites[i]);
	}
	out->nsites = h.nsites;
	out->locked = h.locked;
	return 0;
}

int
insn_cache_load(const char *dir, const char *key,
		struct insn_cache_entry *out)
{
	char path[PATH_MAX];
	size_t len;
	memset(out, 0, sizeof(*out));
	if (file_of(dir, key, path, sizeof(path)) < 0)
		return -1;
	uint8_t *buf = read_all(path, &len);
	if (buf == NULL)
		return -1;
	int r = parse(buf, len, key, out);
	free(buf);
	return r;
}

/* serialise -- header, key and records into one malloc'd buffer */
static uint8_t *
serialise(const char *key, const struct insn_cache_entry *e, size_t *len)
{
	struct cache_header h = { .version = CACHE_VERSION,
		.key_len = (uint32_t)strlen(key), .nsites = e->nsites,
		.locked = e->locked };
	memcpy(h.magic, CACHE_MAGIC, 8);
	*len = sizeof(h) + h.key_len + e->nsites * sizeof(struct cache_record);
	uint8_t *buf = calloc(1, *len);
	if (buf == NULL)
		return NULL;
	uint8_t *body = buf + sizeof(h);
	memcpy(body, key, h.key_len);
	for (size_t i = 0; i < e->nsites; i++) {
		const struct insn_site *s = &e->sites[i];
		struct cache_record r = { .off = s->addr, .disp = s->disp,
			.len = s->len, .kind = s->kind, .scale = s->scale,
			.addr32 = s->addr32, .seg = s->seg,
			.regfile = s->regfile, .width = s->width,
			.orig = s->orig, .base = s->base, .index = s->index,
			.src = s->src, .vg_answer = s->vg_answer,
			.jmp_back = s->jmp_back, .jmp_len = s->jmp_len,
			.tr_n = s->tr_n };
		memcpy(r.tr_len, s->tr_len, sizeof(r.tr_len));
		memcpy(r.tr_rel, s->tr_rel, sizeof(r.tr_rel));
		memcpy(body + h.key_len + i * sizeof(r), &r, sizeof(r));
	}
	h.checksum = fnv(0xcbf29ce484222325ull, body, *len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return buf;
}

/* write_all -- 0 when every byte reached fd */
static int
write_all(long fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		long w = shim_syscall(SYS_write, fd, buf, len);
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* a cache file: when it was written, and its name */
struct cache_file {
	long long mtime_ns;
	char name[32];
};

static int
older_first(const void *a, const void *b)
{
	const struct cache_file *x = a, *y = b;
	return x->mtime_ns < y->mtime_ns ? -1 : x->mtime_ns > y->mtime_ns;
}

/* cache_files -- the *.scan files of dir (malloc'd), their count in *n;
 * NULL when it cannot be read */
static struct cache_file *
cache_files(long dfd, size_t *n)
{
	struct cache_file *v = NULL;
	size_t cap = 0;
	char buf[16384];
	long got;
	*n = 0;
	while ((got = shim_syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			size_t len = strlen(d->d_name);
			struct stat st;
			if (len < 6 || len >= sizeof(v->name) ||
					strcmp(d->d_name + len - 5, ".scan") != 0 ||
					shim_syscall(SYS_newfstatat, dfd, d->d_name, &st,
					AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 256;
				struct cache_file *w = realloc(v, cap * sizeof(*v));
				if (w == NULL)
					break;
				v = w;
			}
			if (*n < cap) {
				v[*n].mtime_ns = (long long)st.st_mtim.tv_sec *
					1000000000LL + st.st_mtim.tv_nsec;
				memcpy(v[*n].name, d->d_name, len + 1);
				(*n)++;
			}
		}
	}
	return v;
}

/* cache_prune -- past CACHE_FILES_MAX files, the oldest written go (a
 * module still in use is decoded again, once) */
static void
cache_prune(const char *dir)
{
	long dfd = shim_syscall(SYS_openat, AT_FDCWD, dir,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	size_t n;
	struct cache_file *v = cache_files(dfd, &n);
	if (v != NULL && n > CACHE_FILES_MAX) {
		qsort(v, n, sizeof(*v), older_first);
		for (size_t i = 0; i < n - CACHE_FILES_KEEP; i++)
			shim_syscall(SYS_unlinkat, dfd, v[i].name, 0);
	}
	free(v);
	shim_syscall(SYS_close, dfd);
}

void
insn_cache_store(const char *dir, const char *key,
		const struct insn_cache_entry *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 64];
	size_t len;
	if (file_of(dir, key, path, sizeof(path)) < 0)
		return;
	uint8_t *buf = serialise(key, e, &len);
	if (buf == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.%ld.%ld.tmp", path,
			(long)shim_syscall(SYS_getpid), (long)shim_syscall(SYS_gettid));
	long fd = shim_syscall(SYS_openat, AT_FDCWD, tmp,
			O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int err = write_all(fd, buf, len);
		shim_syscall(SYS_close, fd);
		if (err != 0 || shim_syscall(SYS_rename, tmp, path) != 0)
			shim_syscall(SYS_unlink, tmp);
		else
			cache_prune(dir);
	}
	free(buf);
}
