/*
 * shim_kernel_fill.h -- the memory a system call's kernel side writes
 * into (shim_kernel_fill.c)
 */
#ifndef PMEMU_SHIM_KERNEL_FILL_H
#define PMEMU_SHIM_KERNEL_FILL_H 1

#include <stdbool.h>

/*
 * opens the emulated pmem among the buffers system call nr (SYS_*, with
 * the raw call's six arguments a) writes its answer into -- a struct
 * stat, pipe's descriptors, poll's revents, wait's status... -- before the
 * call (shim_read_buffer): the kernel's copy into a read-only view page
 * fails the call with EFAULT, where natively it succeeds. false when nr
 * is not one of them. Inside an interceptor (SHIM_ENTER done).
 */
bool shim_kernel_fill(long nr, const long a[6]);

#endif
