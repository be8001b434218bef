"""test_install.py -- `cmake --install` gives a usable prefix, and a program
using include/pmemu.h links and runs without libpmemu at run time."""
import os
import subprocess

PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <pmemu.h>

int
main(void)
{
	static char buf[4096];
	pmemu_crash_point("start");
	if (pmemu_register_pmem(buf, sizeof(buf), "buf") != 0)
		return 3;
	buf[0] = 1;
	pmemu_flush(buf, 64);
	pmemu_fence();
	pmemu_unregister_pmem(buf, sizeof(buf));
	printf("running=%d\n", pmemu_running());
	return 0;
}
"""


def test_install_prefix_and_pkg_config(build_dir, tmp_path, cc):
    prefix = tmp_path / "prefix"
    r = subprocess.run(["cmake", "--install", str(build_dir), "--prefix",
                        str(prefix)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    libdir = next(p for p in (prefix / "lib", prefix / "lib64",
                              prefix / "lib/x86_64-linux-gnu")
                  if (p / "libpmemu.so").exists())
    assert (prefix / "bin" / "pmemu").exists()
    assert (prefix / "include" / "pmemu.h").exists()
    pc = libdir / "pkgconfig" / "pmemu.pc"
    assert pc.exists()
    env = dict(os.environ, PKG_CONFIG_PATH=str(pc.parent))
    cflags = subprocess.run(["pkg-config", "--cflags", "pmemu"], env=env,
                            capture_output=True, text=True, check=True).stdout
    incdirs = [os.path.realpath(f[2:]) for f in cflags.split()
               if f.startswith("-I")]
    assert incdirs == [os.path.realpath(prefix / "include")]
    src = tmp_path / "uses_api.c"
    src.write_text(PROG)
    exe = tmp_path / "uses_api"
    subprocess.run([cc, "-Wall", "-Wextra", "-Werror", *cflags.split(),
                    str(src), "-o", str(exe)], check=True)
    # no libpmemu anywhere: every call is a no-op
    r = subprocess.run([str(exe)], capture_output=True, text=True,
                       env={"PATH": os.environ["PATH"]})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "running=0\n"
    # the installed pmemu runs from its prefix
    r = subprocess.run([str(prefix / "bin" / "pmemu"), "--version"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("pmemu ")


UNFLUSHED = r"""
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return 3;
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 3;
	p[100] = 42; /* never flushed */
	return 0;
}
"""


def test_installed_plugin_and_shim_name_the_line(build_dir, tmp_path, cc):
    """The GCC plugin and libpmemu.so come with the prefix: a program built
    with the installed plugin and run by the installed pmemu has its store
    named at its line."""
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", str(build_dir), "--prefix",
                    str(prefix)], capture_output=True, check=True)
    plugin = next(prefix.glob("lib*/**/pmemu/pmemu-gcc.so"), None)
    assert plugin is not None, "the GCC plugin is not installed"
    src = tmp_path / "unflushed.c"
    src.write_text(UNFLUSHED)
    exe = tmp_path / "unflushed"
    subprocess.run([cc, "-g", "-O1", f"-fplugin={plugin}", str(src), "-o",
                    str(exe)], check=True)
    pmem = tmp_path / "pmem"
    pmem.mkdir()
    r = subprocess.run([str(prefix / "bin" / "pmemu"), "run", "--pmem-dir",
                        str(pmem), "--", str(exe), str(pmem / "f")],
                       capture_output=True, text=True,
                       env={"PATH": os.environ["PATH"]})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    line = UNFLUSHED.splitlines().index("\tp[100] = 42; /* never flushed */") + 1
    assert "unpersisted" in out and f"unflushed.c:{line}" in out, out
