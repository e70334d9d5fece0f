package model

import "runtime"

type runtimeMem struct{ bytes uint64 }

func (r *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	r.bytes = s.TotalAlloc
}
