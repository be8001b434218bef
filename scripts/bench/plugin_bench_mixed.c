/*
 * plugin_bench_mixed.c -- a libpmemobj-style workload for the GCC plugin
 * benchmark: small undo-logged updates of records in a pmem pool (copy the
 * record to the undo area, persist, mark it valid, persist, update the
 * record, persist, clear the mark, persist), found through a DRAM hash
 * index and surrounded by DRAM work (key generation, a histogram)
 *
 * usage: plugin_bench_mixed FILE   (the pool, created if missing)
 */
#include <err.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS (1u << 14)      /* 16 Ki records of 64 bytes: 1 MiB */
#define INDEX_SLOTS (1u << 16)  /* DRAM index, open addressing */
#define KEYS 40000u             /* distinct keys drawn */
#define UPDATES 100000u         /* undo-logged updates */
#define HIST_BINS (1u << 20)    /* DRAM histogram: 8 MiB */

struct record {
	uint64_t key;
	uint64_t value;
	uint64_t version;
	char payload[40];
} __attribute__((aligned(64)));

struct undo {
	uint64_t valid;
	uint64_t slot;
	struct record old;
};

struct pool {
	struct undo undo;
	uint64_t used;
	struct record rec[RECORDS];
};

struct index_entry {
	uint64_t key;
	uint64_t slot; /* record number + 1; 0: empty */
};

static struct index_entry *index_table;
static uint64_t *histogram;

/* index_find -- the record of KEY, allocated in POOL on first use */
static struct record *
index_find(struct pool *pool, uint64_t key)
{
	uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> 48;
	for (;; h = (h + 1) & (INDEX_SLOTS - 1)) {
		struct index_entry *e = &index_table[h];
		if (e->slot != 0 && e->key == key)
			return &pool->rec[e->slot - 1];
		if (e->slot == 0) {
			uint64_t slot = pool->used++ % RECORDS;
			pmem_persist(&pool->used, sizeof pool->used);
			e->key = key;
			e->slot = slot + 1;
			return &pool->rec[slot];
		}
	}
}

/* update -- one undo-logged update of REC */
static void
update(struct pool *pool, struct record *rec, uint64_t key, uint64_t value)
{
	struct undo *u = &pool->undo;
	memcpy(&u->old, rec, sizeof *rec);
	u->slot = (uint64_t)(rec - pool->rec);
	pmem_persist(u, sizeof *u);
	u->valid = 1;
	pmem_persist(&u->valid, sizeof u->valid);

	rec->key = key;
	rec->value += value;
	rec->version++;
	for (unsigned i = 0; i < sizeof rec->payload; i++)
		rec->payload[i] = (char)(value + i);
	pmem_persist(rec, sizeof *rec);

	u->valid = 0;
	pmem_persist(&u->valid, sizeof u->valid);
}

/* dram_work -- what the program does between updates */
static uint64_t
dram_work(uint64_t x)
{
	for (int i = 0; i < 16; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		histogram[(x >> 40) & (HIST_BINS - 1)] += x >> 60;
	}
	return x;
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(2, "usage: %s FILE", argv[0]);
	size_t len;
	int is_pmem;
	struct pool *pool = pmem_map_file(argv[1], sizeof *pool,
					  PMEM_FILE_CREATE, 0644, &len,
					  &is_pmem);
	if (pool == NULL)
		err(1, "pmem_map_file");
	index_table = calloc(INDEX_SLOTS, sizeof *index_table);
	histogram = calloc(HIST_BINS, sizeof *histogram);
	if (index_table == NULL || histogram == NULL)
		err(1, "calloc");

	uint64_t x = 1, sum = 0;
	for (unsigned i = 0; i < UPDATES; i++) {
		x = dram_work(x);
		uint64_t key = (x >> 17) % KEYS;
		struct record *rec = index_find(pool, key);
		update(pool, rec, key, x & 0xffff);
		sum += rec->value;
	}
	printf("%llu\n", (unsigned long long)sum);
	pmem_unmap(pool, len);
	return 0;
}
