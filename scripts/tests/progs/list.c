/* list.c -- a singly linked list of numbered slots in a libpmem file (the
 * shape of PMDK's pmreorder example): `list g FILE` zeroes the header with
 * one wide pmem_memset_persist and links three slots, each value persisted
 * before the link; `list b FILE` links each slot before its value is
 * stored; `list c FILE` exits 1 when a linked slot lacks its value.
 * FILE is an existing file (truncate -s 2M FILE). */
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SLOTS 20

struct slot {
	uint64_t value;         /* 11 * its index once set; 0 before */
	uint64_t next;          /* index + 1 of the next slot, 0: the end */
};

struct list {
	uint64_t first;         /* index + 1 of the first slot, 0: empty */
	uint64_t unused;
	struct slot slots[SLOTS];
};

static const unsigned order[] = { 5, 3, 6 };

/* link_after_value -- the value durable first, then the link: correct */
static void
link_after_value(struct list *l, unsigned i)
{
	struct slot *s = &l->slots[i];
	s->value = 11 * i;
	s->next = l->first;
	pmem_persist(s, sizeof(*s));
	l->first = i + 1;
	pmem_persist(&l->first, sizeof(l->first));
}

/* link_before_value -- a crash after the link leaves a slot without value */
static void
link_before_value(struct list *l, unsigned i)
{
	struct slot *s = &l->slots[i];
	s->next = l->first;
	pmem_persist(&s->next, sizeof(s->next));
	l->first = i + 1;       /* PLANTED: link-before-value */
	pmem_persist(&l->first, sizeof(l->first));
	s->value = 11 * i;
	pmem_persist(&s->value, sizeof(s->value));
}

/* check -- 0 when every linked slot holds its value and the list ends */
static int
check(const struct list *l)
{
	unsigned steps = 0;
	for (uint64_t n = l->first; n != 0; n = l->slots[n - 1].next) {
		if (n > SLOTS || ++steps > SLOTS)
			return 1;
		if (l->slots[n - 1].value != 11 * (n - 1)) {
			fprintf(stderr, "slot %u linked without its value\n",
					(unsigned)(n - 1));
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc != 3 || strlen(argv[1]) != 1 || !strchr("gbc", argv[1][0])) {
		fprintf(stderr, "usage: list g|b|c FILE\n");
		return 2;
	}
	size_t len;
	int is_pmem;
	struct list *l = pmem_map_file(argv[2], 0, 0, 0, &len, &is_pmem);
	if (l == NULL) {
		perror("pmem_map_file");
		return 2;
	}
	char mode = argv[1][0];
	if (mode == 'c')
		return check(l);
	/* zeros over the zeros of a new file: one wide store that cannot
	 * tear anything (the 2^pieces blow-up of issue 15) */
	pmem_memset_persist(l, 0, sizeof(*l) + sizeof(struct slot));
	for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		(mode == 'g' ? link_after_value : link_before_value)(l,
				order[k]);
	pmem_unmap(l, len);
	return 0;
}
