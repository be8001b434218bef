/*
 * shim_read_buffer.h -- a read into emulated pmem (shim_read_buffer.c)
 */
#ifndef PMEMU_SHIM_READ_BUFFER_H
#define PMEMU_SHIM_READ_BUFFER_H 1

#include <stddef.h>
#include <sys/uio.h>

/*
 * the pages of emulated pmem in buf[0, len) are made writable before the
 * kernel copies into them (read, pread, readv), which a protected view
 * page fails with EFAULT; the stores are found by diffing and named by
 * the caller's site, as a guess. Inside an interceptor (SHIM_ENTER done).
 */
void shim_read_buffer(void *buf, size_t len);
/* the same for each buffer of an iovec */
void shim_read_buffers(const struct iovec *iov, int cnt);

#endif
