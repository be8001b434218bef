/* test_explore_image.c -- crash images written line by line: a slot
 * moves between states by rewriting the lines that differ, and notices
 * what a check wrote (explore/image.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../explore/linemap.c"
#include "../explore/media.c"
#include "../explore/image_base.c"
#include "../explore/image_sync.c"
#include "../explore/image_watch.c"
#include "../explore/image.c"
#include "../explore/usc.c"
#include "../explore/badblocks.c"
#include "../explore/replay.c"

#define POOL 4096

struct fixture {
	char dir[64];
	char media[96];
	char slotdir[96];
	struct xp_media md;
	struct xp_base *base;
	struct xp_slot *slot;
};

/* fixture_new -- a region of len bytes whose media file holds media */
static struct fixture *
fixture_new(uint64_t len, const uint8_t *media, size_t media_len)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test_explore_image.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->media, sizeof(f->media), "%s/pool", f->dir);
	snprintf(f->slotdir, sizeof(f->slotdir), "%s/w0", f->dir);
	int fd = open(f->media, O_CREAT | O_WRONLY, 0600);
	assert_int_equal(write(fd, media, media_len), (ssize_t)media_len);
	close(fd);
	xp_media_init(&f->md, NULL);
	char err[256];
	assert_int_equal(xp_media_region(&f->md, 0, MODEL_DOMAIN_ADR, len, 64,
			f->media, err, sizeof(err)), 0);
	f->base = xp_base_new(&f->md);
	f->slot = xp_slot_new(f->base, f->slotdir, err, sizeof(err));
	assert_non_null(f->slot);
	return f;
}

static int
setup(void **state)
{
	uint8_t buf[POOL];
	for (size_t i = 0; i < POOL; i++)
		buf[i] = (uint8_t)(i / 64);
	*state = fixture_new(POOL, buf, POOL);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	xp_slot_delete(f->slot);
	xp_base_delete(f->base);
	xp_media_fini(&f->md);
	unlink(f->media);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* expect -- the slot's image is the media with line `line` = fill */
static void
expect(struct fixture *f, long line, uint8_t fill)
{
	uint8_t buf[POOL];
	int fd = open(xp_slot_pmem(f->slot), O_RDONLY);
	assert_int_equal(read(fd, buf, POOL), POOL);
	close(fd);
	for (size_t i = 0; i < POOL; i++) {
		uint8_t want = (long)(i / 64) == line ? fill : (uint8_t)(i / 64);
		if (buf[i] != want)
			fail_msg("byte %zu: %u, expected %u", i, buf[i], want);
	}
}

static void
test_states_rewrite_only_their_lines(void **state)
{
	struct fixture *f = *state;
	uint8_t a[64], b[64];
	memset(a, 0xaa, 64);
	memset(b, 0xbb, 64);
	struct xp_line_set la = { 0, 64 * 3, a, false },
		lb = { 0, 64 * 9, b, false };
	assert_int_equal(xp_slot_set(f->slot, &la, 1), 0);
	xp_slot_after_check(f->slot);
	expect(f, 3, 0xaa);
	assert_int_equal(xp_slot_set(f->slot, &lb, 1), 0);
	xp_slot_after_check(f->slot);
	expect(f, 9, 0xbb); /* line 3 is back to the media */
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	expect(f, -1, 0);
	/* only the first set copied the whole media */
	assert_int_equal(xp_slot_full_restores(f->slot), 1);
}

static void
test_a_check_that_writes_is_undone(void **state)
{
	struct fixture *f = *state;
	uint8_t a[64];
	memset(a, 0xaa, 64);
	struct xp_line_set la = { 0, 64 * 3, a, false };
	assert_int_equal(xp_slot_set(f->slot, &la, 1), 0);
	/* the check writes through write(2) far from any state line */
	int fd = open(xp_slot_pmem(f->slot), O_WRONLY);
	assert_int_equal(pwrite(fd, "RECOVERED", 9, 2000), 9);
	close(fd);
	xp_slot_after_check(f->slot);
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	expect(f, -1, 0);
	/* and through a shared mapping */
	fd = open(xp_slot_pmem(f->slot), O_RDWR);
	char *p = mmap(NULL, POOL, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	memcpy(p + 3000, "MAPPED", 6);
	munmap(p, POOL);
	close(fd);
	xp_slot_after_check(f->slot);
	assert_int_equal(xp_slot_set(f->slot, &la, 1), 0);
	expect(f, 3, 0xaa);
	/* a check that replaces the file */
	unlink(xp_slot_pmem(f->slot));
	fd = open(xp_slot_pmem(f->slot), O_CREAT | O_WRONLY, 0600);
	close(fd);
	xp_slot_after_check(f->slot);
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	expect(f, -1, 0);
}

static void
test_base_follows_the_model(void **state)
{
	struct fixture *f = *state;
	struct model_config *cfg = model_config_new();
	model_config_set_contents(cfg, true);
	struct model *m = model_new(cfg, xp_media_read, &f->md);
	model_config_delete(cfg);
	assert_int_equal(model_region_add(m, 0, POOL, MODEL_DOMAIN_ADR), 0);
	uint8_t v[8];
	memset(v, 0x77, 8);
	struct model_event st = { MODEL_EV_STORE, 1, 0, 0, 64 * 5, 8, v };
	struct model_event wb = { MODEL_EV_CLWB, 1, 0, 0, 64 * 5, 64, NULL };
	struct model_event fe = { MODEL_EV_SFENCE, 1, 0, 0, 0, 0, NULL };
	assert_int_equal(model_apply(m, &st), 0);
	assert_int_equal(model_apply(m, &wb), 0);
	struct xp_hash before = xp_state_hash(f->base, NULL, 0);
	xp_base_update(f->base, m, 0, 64 * 5);  /* not durable yet */
	struct xp_hash still = xp_state_hash(f->base, NULL, 0);
	assert_true(before.a == still.a && before.b == still.b);
	assert_int_equal(model_apply(m, &fe), 0);
	xp_base_update(f->base, m, 0, 64 * 5);
	struct xp_hash after = xp_state_hash(f->base, NULL, 0);
	assert_true(before.a != after.a);
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	uint8_t buf[64];
	int fd = open(xp_slot_pmem(f->slot), O_RDONLY);
	assert_int_equal(pread(fd, buf, 64, 64 * 5), 64);
	close(fd);
	assert_memory_equal(buf, v, 8);
	assert_int_equal(buf[8], 5);
	model_delete(m);
}

/* line_of -- the byte the slot's image has at the start of line */
static uint8_t
line_of(struct fixture *f, long line)
{
	uint8_t c = 0;
	int fd = open(xp_slot_pmem(f->slot), O_RDONLY);
	assert_int_equal(pread(fd, &c, 1, line * 64), 1);
	close(fd);
	return c;
}

/* durable -- the base's line becomes fill (as a later point would) */
static void
durable(struct fixture *f, long line, uint8_t fill)
{
	uint8_t v[64];
	memset(v, fill, 64);
	set_durable(f->base, 0, (uint64_t)line * 64, v);
}

static void
test_a_written_image_is_restored_after_the_base_moved(
		void **state)
{
	struct fixture *f = *state;
	uint8_t a[64];
	memset(a, 0xaa, 64);
	struct xp_line_set la = { 0, 64 * 3, a, false };
	durable(f, 7, 0x77);
	assert_int_equal(xp_slot_set(f->slot, &la, 1), 0);
	/* the engine goes on to later points while the check runs */
	durable(f, 3, 0x33);
	durable(f, 5, 0x55);
	durable(f, 7, 0x70);
	/* not written: nothing to do */
	assert_int_equal(xp_slot_restore(f->slot), 0);
	assert_int_equal(xp_slot_full_restores(f->slot), 1);
	/* the check repairs lines 3 and 9, and fails */
	int fd = open(xp_slot_pmem(f->slot), O_WRONLY);
	assert_int_equal(pwrite(fd, "RECOVERED", 9, 64 * 3), 9);
	assert_int_equal(pwrite(fd, "RECOVERED", 9, 64 * 9), 9);
	close(fd);
	assert_int_equal(xp_slot_restore(f->slot), 0);
	assert_int_equal(line_of(f, 3), 0xaa);
	assert_int_equal(line_of(f, 5), 5);
	assert_int_equal(line_of(f, 7), 0x77);
	assert_int_equal(line_of(f, 9), 9);
	/* the next state starts from the base of now */
	xp_slot_after_check(f->slot);
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	assert_int_equal(line_of(f, 3), 0x33);
	assert_int_equal(line_of(f, 5), 0x55);
	assert_int_equal(line_of(f, 7), 0x70);
	assert_int_equal(line_of(f, 9), 9);
}

static void
test_the_undo_content_is_kept_only_while_pinned(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	size_t pinned = f->base->nlog;
	for (int i = 0; i < 4096; i++)
		durable(f, i % 60, (uint8_t)(i / 60 + 1));
	assert_true(f->base->undo_from <= pinned);
	assert_non_null(xp_base_undo(f->base, pinned));
	xp_slot_after_check(f->slot);
	for (int i = 0; i < 4096; i++)
		durable(f, i % 60, (uint8_t)(i / 60 + 100));
	/* what no slot needs was dropped: at most twice the content of the
	 * changes since the last trim */
	assert_true(f->base->undo_from > pinned);
	assert_true(f->base->capundo <= 2 * 64 * 4096 + 128);
}

static void
test_a_restore_past_the_undo_kept_is_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	xp_slot_after_check(f->slot); /* unpinned: its undo may go */
	for (int i = 0; i < 4096; i++)
		durable(f, i % 60, (uint8_t)(i / 60 + 1));
	int fd = open(xp_slot_pmem(f->slot), O_WRONLY);
	assert_int_equal(pwrite(fd, "RECOVERED", 9, 0), 9);
	close(fd);
	assert_int_equal(xp_slot_restore(f->slot), -ESTALE);
	/* and the next set starts afresh */
	assert_int_equal(xp_slot_set(f->slot, NULL, 0), 0);
	assert_int_equal(line_of(f, 0), 4080 / 60 + 1); /* the last fill */
}

/* a pool of several pages, the last one partial, its media shorter */
#define BIG (5 * 4096 + 1920)
#define BIG_MEDIA 18000

struct oracle {
	uint8_t durable[BIG];   /* the base image, as the base should be */
	uint8_t set[BIG];       /* the image the last set should write */
};

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
setup_big(void **state)
{
	static uint8_t buf[BIG_MEDIA];
	for (size_t i = 0; i < BIG_MEDIA; i++)
		buf[i] = (uint8_t)rnd();
	*state = fixture_new(BIG, buf, BIG_MEDIA);
	return 0;
}

/* expect_image -- the slot's file is want, byte for byte */
static void
expect_image(struct fixture *f, const uint8_t *want, int round)
{
	static uint8_t buf[BIG + 1];
	int fd = open(xp_slot_pmem(f->slot), O_RDONLY);
	assert_int_equal(read(fd, buf, BIG + 1), BIG);
	close(fd);
	for (size_t i = 0; i < BIG; i++)
		if (buf[i] != want[i])
			fail_msg("round %d: byte %zu: %u, expected %u", round,
					i, buf[i], want[i]);
}

/* base_moves -- a few lines of the base change, in the oracle too */
static void
base_moves(struct fixture *f, struct oracle *o)
{
	for (int k = (int)(rnd() % 4); k > 0; k--) {
		uint64_t off = rnd() % (BIG / 64) * 64;
		uint8_t v[64];
		for (int i = 0; i < 64; i++)
			v[i] = (uint8_t)rnd();
		set_durable(f->base, 0, off, v);
		memcpy(o->durable + off, v, 64);
	}
}

/* scribble -- what a check may do to its image: whether it resized or
 * replaced the file */
static bool
scribble(struct fixture *f)
{
	const char *path = xp_slot_pmem(f->slot);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint64_t what = rnd() % 6;
	for (int k = (int)(rnd() % 5); what < 3 && k >= 0; k--) {
		uint8_t junk[4096];
		for (int i = 0; i < 4096; i++)
			junk[i] = (uint8_t)rnd();
		uint64_t at = rnd() % BIG, n = rnd() % 4096 + 1;
		if (at + n > BIG)
			n = BIG - at;
		assert_int_equal(pwrite(fd, junk, n, (off_t)at), (ssize_t)n);
	}
	if (what == 3) /* cut, extended back: zeros, the same size */
		assert_true(ftruncate(fd, (off_t)(rnd() % BIG)) == 0 &&
				ftruncate(fd, BIG) == 0);
	uint64_t len = what == 4 ? rnd() % (2 * BIG) : BIG;
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	close(fd);
	if (what == 5) { /* replaced */
		unlink(path);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		assert_int_equal(pwrite(fd, "NEW", 3, 100), 3);
		close(fd);
	}
	return len != BIG || what == 5;
}

static void
test_random_checks_leave_the_exact_images(void **state)
{
	struct fixture *f = *state;
	static struct oracle o;
	int fd = open(f->media, O_RDONLY);
	assert_int_equal(read(fd, o.durable, BIG), BIG_MEDIA);
	close(fd);
	uint64_t resized = 0;
	for (int round = 0; round < 400; round++) {
		base_moves(f, &o);
		struct xp_line_set l[3];
		uint8_t content[3][64];
		size_t n = (size_t)(rnd() % 4);
		memcpy(o.set, o.durable, BIG);
		for (size_t i = 0; i < n; i++) {
			for (int j = 0; j < 64; j++)
				content[i][j] = (uint8_t)rnd();
			l[i].region = 0;
			l[i].off = rnd() % (BIG / 64) * 64;
			l[i].content = content[i];
			l[i].poison = false;
			memcpy(o.set + l[i].off, content[i], 64);
		}
		assert_int_equal(xp_slot_set(f->slot, l, n), 0);
		expect_image(f, o.set, round);
		if (rnd() % 4 != 0)
			resized += scribble(f);
		if (rnd() % 3 == 0) { /* failed in a child: as it was set */
			base_moves(f, &o);
			assert_int_equal(xp_slot_restore(f->slot), 0);
			expect_image(f, o.set, round);
			resized += scribble(f);
		}
		xp_slot_after_check(f->slot);
	}
	/* the media was copied again only for a file resized or replaced:
	 * a written one got the pages that differ */
	assert_true(resized > 20);
	assert_int_equal(xp_slot_full_restores(f->slot), 1 + resized);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_states_rewrite_only_their_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_check_that_writes_is_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_base_follows_the_model, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_written_image_is_restored_after_the_base_moved,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_the_undo_content_is_kept_only_while_pinned, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_a_restore_past_the_undo_kept_is_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_random_checks_leave_the_exact_images, setup_big,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
