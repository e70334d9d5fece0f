//go:build cuda

package nccl

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// ABI copies from nccl.h (NCCL 2.x).
typedef int nc_result;
typedef void *nc_comm;
typedef struct { char internal[128]; } nc_uid;

static nc_result (*p_version)(int *);
static nc_result (*p_get_uid)(nc_uid *);
static nc_result (*p_init_rank)(nc_comm *, int, nc_uid, int);
static nc_result (*p_destroy)(nc_comm);
static const char *(*p_error_string)(nc_result);
static nc_result (*p_all_reduce)(const void *, void *, size_t, int, int, nc_comm, void *);
static nc_result (*p_all_gather)(const void *, void *, size_t, int, nc_comm, void *);
static nc_result (*p_reduce_scatter)(const void *, void *, size_t, int, int, nc_comm, void *);
static nc_result (*p_broadcast)(const void *, void *, size_t, int, int, nc_comm, void *);
static nc_result (*p_group_start)(void);
static nc_result (*p_group_end)(void);

static const char *nc_open(const char *path, char *err, size_t errlen) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		strncpy(err, e ? e : "dlopen failed", errlen - 1);
		err[errlen - 1] = 0;
		return err;
	}
#define SYM(var, name) \
	if (!(*(void **)(&var) = dlsym(h, name))) { \
		dlclose(h); \
		return "missing symbol " name; \
	}
	SYM(p_version, "ncclGetVersion")
	SYM(p_get_uid, "ncclGetUniqueId")
	SYM(p_init_rank, "ncclCommInitRank")
	SYM(p_destroy, "ncclCommDestroy")
	SYM(p_error_string, "ncclGetErrorString")
	SYM(p_all_reduce, "ncclAllReduce")
	SYM(p_all_gather, "ncclAllGather")
	SYM(p_reduce_scatter, "ncclReduceScatter")
	SYM(p_broadcast, "ncclBroadcast")
	SYM(p_group_start, "ncclGroupStart")
	SYM(p_group_end, "ncclGroupEnd")
#undef SYM
	return NULL;
}

static nc_result nc_version(int *v) { return p_version(v); }
static const char *nc_error_string(nc_result r) { return p_error_string(r); }
static nc_result nc_get_uid(void *uid) { return p_get_uid((nc_uid *)uid); }
static nc_result nc_init_rank(nc_comm *c, int n, const void *uid, int rank) {
	nc_uid u;
	memcpy(&u, uid, sizeof u);
	return p_init_rank(c, n, u, rank);
}
static nc_result nc_destroy(nc_comm c) { return p_destroy(c); }
static nc_result nc_all_reduce(uintptr_t s, uintptr_t r, size_t n, int dt, int op, nc_comm c, uintptr_t st) {
	return p_all_reduce((const void *)s, (void *)r, n, dt, op, c, (void *)st);
}
static nc_result nc_all_gather(uintptr_t s, uintptr_t r, size_t n, int dt, nc_comm c, uintptr_t st) {
	return p_all_gather((const void *)s, (void *)r, n, dt, c, (void *)st);
}
static nc_result nc_reduce_scatter(uintptr_t s, uintptr_t r, size_t n, int dt, int op, nc_comm c, uintptr_t st) {
	return p_reduce_scatter((const void *)s, (void *)r, n, dt, op, c, (void *)st);
}
static nc_result nc_broadcast(uintptr_t s, uintptr_t r, size_t n, int dt, int root, nc_comm c, uintptr_t st) {
	return p_broadcast((const void *)s, (void *)r, n, dt, root, c, (void *)st);
}
static nc_result nc_group_start(void) { return p_group_start(); }
static nc_result nc_group_end(void) { return p_group_end(); }
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/clip-go/clip/internal/cuda/dl"
)

// Data types and reduction ops (nccl.h).
const (
	Float32 = 7 // ncclFloat32
	Sum     = 0 // ncclSum
	Avg     = 4 // ncclAvg (NCCL >= 2.10)
)

var (
	loadOnce sync.Once
	loadErr  error
	loaded   string
)

// Load finds and loads NCCL once, returning the path it used.
func Load() (string, error) {
	loadOnce.Do(func() {
		loaded, loadErr = dl.Load("NCCL", "CLIP_NCCL_LIB", []string{"libnccl.so.2"}, "nccl/lib", func(p string) error {
			cp := C.CString(p)
			defer C.free(unsafe.Pointer(cp))
			var buf [512]C.char
			if e := C.nc_open(cp, &buf[0], C.size_t(len(buf))); e != nil {
				return errors.New(C.GoString(e))
			}
			return nil
		})
		if loadErr != nil {
			loadErr = fmt.Errorf("nccl: %w", loadErr)
		}
	})
	return loaded, loadErr
}

// Version is ncclGetVersion (e.g. 22703 for 2.27.3).
func Version() (int, error) {
	if _, err := Load(); err != nil {
		return 0, err
	}
	var v C.int
	if err := result(C.nc_version(&v)); err != nil {
		return 0, err
	}
	return int(v), nil
}

// Result is an NCCL error code.
type Result int

func (r Result) Error() string {
	return fmt.Sprintf("NCCL error %d (%s)", int(r), C.GoString(C.nc_error_string(C.nc_result(r))))
}

func result(r C.nc_result) error {
	if r == 0 {
		return nil
	}
	return Result(r)
}

// UniqueID identifies a communicator; rank 0 makes it and every rank
// receives it (out of band) before InitRank.
type UniqueID [128]byte

// NewUniqueID makes an id for a new communicator.
func NewUniqueID() (UniqueID, error) {
	var id UniqueID
	if _, err := Load(); err != nil {
		return id, err
	}
	buf := C.malloc(128)
	defer C.free(buf)
	if err := result(C.nc_get_uid(buf)); err != nil {
		return id, fmt.Errorf("nccl: unique id: %w", err)
	}
	copy(id[:], unsafe.Slice((*byte)(buf), 128))
	return id, nil
}

// Comm is one rank's communicator.
type Comm struct {
	c          C.nc_comm
	rank, size int
}

// InitRank joins rank of a communicator of size ranks. The rank's CUDA
// context (device) must be current on the calling, locked thread.
func InitRank(size int, id UniqueID, rank int) (*Comm, error) {
	if _, err := Load(); err != nil {
		return nil, err
	}
	buf := C.malloc(128)
	defer C.free(buf)
	copy(unsafe.Slice((*byte)(buf), 128), id[:])
	var c C.nc_comm
	if err := result(C.nc_init_rank(&c, C.int(size), buf, C.int(rank))); err != nil {
		return nil, fmt.Errorf("nccl: rank %d of %d: %w", rank, size, err)
	}
	return &Comm{c: c, rank: rank, size: size}, nil
}

// Rank and Size are the communicator's.
func (c *Comm) Rank() int { return c.rank }
func (c *Comm) Size() int { return c.size }

// Destroy frees the communicator.
func (c *Comm) Destroy() error {
	if c.c == nil {
		return nil
	}
	err := result(C.nc_destroy(c.c))
	c.c = nil
	return err
}

// AllReduce queues recv = op over ranks of send (count elements of dtype) on
// stream; send may equal recv. Device addresses and the stream are integers.
func (c *Comm) AllReduce(send, recv uintptr, count, dtype, op int, stream uintptr) error {
	return wrap("all-reduce", C.nc_all_reduce(C.uintptr_t(send), C.uintptr_t(recv), C.size_t(count), C.int(dtype), C.int(op), c.c, C.uintptr_t(stream)))
}

// AllGather queues recv[size·count] = every rank's send[count], in rank order.
func (c *Comm) AllGather(send, recv uintptr, count, dtype int, stream uintptr) error {
	return wrap("all-gather", C.nc_all_gather(C.uintptr_t(send), C.uintptr_t(recv), C.size_t(count), C.int(dtype), c.c, C.uintptr_t(stream)))
}

// ReduceScatter queues recv[count] = op over ranks of their send rows
// rank·count .. rank·count+count-1.
func (c *Comm) ReduceScatter(send, recv uintptr, count, dtype, op int, stream uintptr) error {
	return wrap("reduce-scatter", C.nc_reduce_scatter(C.uintptr_t(send), C.uintptr_t(recv), C.size_t(count), C.int(dtype), C.int(op), c.c, C.uintptr_t(stream)))
}

// Broadcast queues recv = root's send on every rank.
func (c *Comm) Broadcast(send, recv uintptr, count, dtype, root int, stream uintptr) error {
	return wrap("broadcast", C.nc_broadcast(C.uintptr_t(send), C.uintptr_t(recv), C.size_t(count), C.int(dtype), C.int(root), c.c, C.uintptr_t(stream)))
}

// GroupStart and GroupEnd bracket calls that must be issued together (one
// process driving several devices).
func GroupStart() error { return wrap("group start", C.nc_group_start()) }
func GroupEnd() error   { return wrap("group end", C.nc_group_end()) }

func wrap(what string, r C.nc_result) error {
	if err := result(r); err != nil {
		return fmt.Errorf("nccl: %s: %w", what, err)
	}
	return nil
}
