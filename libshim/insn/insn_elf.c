/*
 * insn_elf.c -- what the file of a loaded module tells the scanner: its
 * executable sections, its function symbols (where decoding restarts, and
 * names for messages) and whether the GCC plugin built it
 *
 * The file is read with raw system calls: the shim interposes open and
 * mmap, and the scan runs inside its constructor and its dlopen.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "insn.h"
#include "shim_syscall.h"

#define PMEMU_SYM_PREFIX "__pmemu_" /* pmemu_hooks.h: slot and hooks */

/* file_map -- the whole file, read-only; NULL on any error */
static const uint8_t *
file_map(const char *path, size_t *len)
{
	long fd = shim_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *p = MAP_FAILED;
	if (shim_syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) &&
			st.st_size >= (off_t)sizeof(Elf64_Ehdr))
		p = (void *)shim_syscall(SYS_mmap, NULL, (size_t)st.st_size,
				PROT_READ, MAP_PRIVATE, fd, 0);
	shim_syscall(SYS_close, fd);
	if (p == MAP_FAILED || (uintptr_t)p > (uintptr_t)-4096)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}

/* section_ok -- the section's bytes lie inside the file */
static bool
section_ok(const struct insn_elf *e, const Elf64_Shdr *sh)
{
	return sh->sh_type == SHT_NOBITS ||
		(sh->sh_offset <= e->map_len &&
		 sh->sh_size <= e->map_len - sh->sh_offset);
}

/* headers -- the section header table, or NULL when malformed */
static const Elf64_Shdr *
headers(const struct insn_elf *e, size_t *n)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->map;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
			eh->e_ident[EI_CLASS] != ELFCLASS64 ||
			eh->e_machine != EM_X86_64 ||
			eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
			eh->e_shoff > e->map_len ||
			(size_t)eh->e_shnum * sizeof(Elf64_Shdr) >
			e->map_len - eh->e_shoff)
		return NULL;
	*n = eh->e_shnum;
	return (const Elf64_Shdr *)(e->map + eh->e_shoff);
}

static int
func_cmp(const void *a, const void *b)
{
	const struct insn_func *x = a, *y = b;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/*
 * read_symbols -- function symbols of table sh (names from its linked
 * string table) appended to e->funcs; notes a __pmemu_ symbol
 */
static int
read_symbols(struct insn_elf *e, const Elf64_Shdr *all, size_t nsh,
		const Elf64_Shdr *sh)
{
	if (sh->sh_link >= nsh || !section_ok(e, sh) ||
			!section_ok(e, &all[sh->sh_link]))
		return 0;
	const Elf64_Sym *sym = (const Elf64_Sym *)(e->map + sh->sh_offset);
	size_t n = sh->sh_size / sizeof(Elf64_Sym);
	const char *str = (const char *)e->map + all[sh->sh_link].sh_offset;
	size_t str_len = all[sh->sh_link].sh_size;
	struct insn_func *f = realloc(e->funcs,
			(e->nfuncs + n) * sizeof(*f));
	if (f == NULL && n > 0)
		return -1;
	e->funcs = f;
	for (size_t i = 0; i < n; i++) {
		if (sym[i].st_name >= str_len ||
				memchr(str + sym[i].st_name, 0,
				str_len - sym[i].st_name) == NULL)
			continue;
		const char *name = str + sym[i].st_name;
		if (strncmp(name, PMEMU_SYM_PREFIX,
				sizeof(PMEMU_SYM_PREFIX) - 1) == 0)
			e->plugin_built = true;
		unsigned type = ELF64_ST_TYPE(sym[i].st_info);
		if ((type == STT_FUNC || type == STT_GNU_IFUNC) &&
				sym[i].st_shndx != SHN_UNDEF &&
				sym[i].st_size > 0)
			e->funcs[e->nfuncs++] = (struct insn_func){
				sym[i].st_value,
				sym[i].st_value + sym[i].st_size, name };
	}
	return 0;
}

/* read_sections -- executable sections and symbol tables of the file */
static int
read_sections(struct insn_elf *e)
{
	size_t nsh;
	const Elf64_Shdr *sh = headers(e, &nsh);
	if (sh == NULL)
		return -1;
	e->exec = calloc(nsh, sizeof(*e->exec));
	if (e->exec == NULL)
		return -1;
	bool have_symtab = false;
	for (size_t i = 0; i < nsh; i++) {
		if (sh[i].sh_type == SHT_PROGBITS && sh[i].sh_size > 0 &&
				(sh[i].sh_flags & SHF_ALLOC) &&
				(sh[i].sh_flags & SHF_EXECINSTR))
			e->exec[e->nexec++] = (struct insn_range){
				sh[i].sh_addr, sh[i].sh_addr + sh[i].sh_size };
		have_symtab |= sh[i].sh_type == SHT_SYMTAB;
	}
	/* .symtab holds every function; a stripped file has .dynsym only.
	 * The plugin marker may be in either: look at both. */
	for (size_t i = 0; i < nsh; i++) {
		bool wanted = sh[i].sh_type == SHT_SYMTAB ||
			(sh[i].sh_type == SHT_DYNSYM && !have_symtab);
		if (wanted && read_symbols(e, sh, nsh, &sh[i]) < 0)
			return -1;
		if (sh[i].sh_type == SHT_DYNSYM && have_symtab) {
			size_t keep = e->nfuncs;
			if (read_symbols(e, sh, nsh, &sh[i]) < 0)
				return -1;
			e->nfuncs = keep; /* marker only */
		}
	}
	qsort(e->funcs, e->nfuncs, sizeof(*e->funcs), func_cmp);
	return 0;
}

int
insn_elf_open(const char *path, struct insn_elf *e)
{
	memset(e, 0, sizeof(*e));
	e->map = file_map(path, &e->map_len);
	if (e->map == NULL)
		return -1;
	if (read_sections(e) < 0) {
		insn_elf_close(e);
		return -1;
	}
	return 0;
}

void
insn_elf_close(struct insn_elf *e)
{
	if (e->map != NULL)
		shim_syscall(SYS_munmap, e->map, e->map_len);
	free(e->funcs);
	free(e->exec);
	memset(e, 0, sizeof(*e));
}

const struct insn_func *
insn_elf_func(const struct insn_elf *e, uint64_t vaddr)
{
	size_t lo = 0, hi = e->nfuncs;
	while (lo < hi) { /* the last function starting at or before vaddr */
		size_t mid = lo + (hi - lo) / 2;
		if (e->funcs[mid].lo <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* aliases and nested symbols share starts: look a few entries back */
	for (size_t i = lo, seen = 0; i-- > 0 && seen < 8; seen++)
		if (vaddr < e->funcs[i].hi)
			return &e->funcs[i];
	return NULL;
}
