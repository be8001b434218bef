"""test_explore_lazy_out.py -- a check that hands bytes of the image to
the kernel from inside libc: fwrite of more than its stream's buffer, or
unbuffered, and the socket sends (send, sendto, sendmsg).
Under --explore lazy an undecided page of the image is protected, and the
kernel's read of it failed the call with EFAULT where natively it
succeeds: the check failed at every state, false failures that eager
exploration does not report. libpmemu-lazy.so decides the buffer's lines
and opens its pages for the call (libshim/lazy/lazy_out.c), as for write.
"""
import pytest

from test_explore_lazy import LOGGED_C, build, eager_and_lazy, random_trace

OUT_C = LOGGED_C + r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
/* out -- hand the image's page to the kernel by how */
static int
out(const char *how, unsigned char *p)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
		return -1;
	setvbuf(stdout, NULL, _IONBF, 0); /* each output: one write */
	if (strcmp(how, "fwrite") == 0)
		return fwrite(p, 1, 4096, stdout) == 4096 ? 0 : -1;
	if (strcmp(how, "send") == 0)
		return send(sv[0], p, 4096, 0) == 4096 ? 0 : -1;
	if (strcmp(how, "sendto") == 0)
		return sendto(sv[0], p, 4096, 0, NULL, 0) == 4096 ? 0 : -1;
	struct iovec iov[2] = { { p, 2048 }, { p + 2048, 2048 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	return sendmsg(sv[0], &m, 0) == 4096 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 3;
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	unsigned flag = p[64], data = flag ? p[0] : 0;
	if (out(argv[1], p) != 0) {
		perror(argv[1]);
		return 4;
	}
	return logged(argv[3], flag, data);
}
"""


@pytest.fixture(scope="module")
def out_bin(tmp_path_factory):
    return build(tmp_path_factory, "out", OUT_C, "-O1")


@pytest.mark.parametrize("how", ["fwrite", "send", "sendto", "sendmsg"])
@pytest.mark.parametrize("seed", [1, 5])
def test_output_from_the_image_is_as_eager(tmp_path, out_bin, how, seed):
    """lazy's verdict, failing points and what the check saw are eager's
    (the check failed at every state before: EFAULT)"""
    eager, _ = eager_and_lazy(tmp_path, random_trace(tmp_path, seed),
                              "%s %s {pmem} %%s" % (out_bin, how))
    assert eager["verdict"] == ("fail" if seed == 5 else "pass")
