package tokenizer

import (
	"strings"
	"sync"
)

// wordCache remembers the BPE ids of words. Captions repeat a small set of
// words, so after warm-up almost every word is a cache hit. The cache is
// split into shards, each behind its own lock so that goroutines rarely wait
// for each other, and bounded: a shard that fills up is emptied, which is
// cheaper than tracking recency and fine for a cache of pure results.
type wordCache struct {
	shards [cacheShards]cacheShard
}

const (
	cacheShards        = 32
	cacheWordsPerShard = 4096 // 131072 words in all, a few MiB
	cacheMaxWordLen    = 64   // longer words are rare and not worth keeping
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]int32
}

func newWordCache() *wordCache {
	c := &wordCache{}
	for i := range c.shards {
		c.shards[i].m = make(map[string][]int32)
	}
	return c
}

// shard picks the shard of word with FNV-1a.
func (c *wordCache) shard(word string) *cacheShard {
	h := uint32(2166136261)
	for i := 0; i < len(word); i++ {
		h ^= uint32(word[i])
		h *= 16777619
	}
	return &c.shards[h%cacheShards]
}

// get returns the cached ids of word; callers must not modify them.
func (c *wordCache) get(word string) ([]int32, bool) {
	s := c.shard(word)
	s.mu.RLock()
	ids, ok := s.m[word]
	s.mu.RUnlock()
	return ids, ok
}

// put stores ids (which the cache then owns) for word.
func (c *wordCache) put(word string, ids []int32) {
	if len(word) > cacheMaxWordLen {
		return
	}
	s := c.shard(word)
	s.mu.Lock()
	if len(s.m) >= cacheWordsPerShard {
		s.m = make(map[string][]int32, cacheWordsPerShard)
	}
	// The key is copied: word may be a slice of a long caption that the
	// cache must not keep alive.
	s.m[strings.Clone(word)] = ids
	s.mu.Unlock()
}
