package blob_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/blob"
)

// csvBlock is the text csvReader repeats: 64 KiB and more of CSV rows, too
// long for gzip's window to see the repetition.
var csvBlock = sync.OnceValue(func() []byte {
	var b []byte
	for i := 0; len(b) < 96<<10; i++ {
		b = fmt.Appendf(b, "%d,customer %d,%d.%02d,2024-05-%02d,paid\n", i, i*7919%10007, i*31%100000, i%100, i%28+1)
	}
	return b
})

// csvReader yields remaining bytes of csvBlock, repeated, allocating nothing.
type csvReader struct {
	remaining int64
	off       int
}

func (c *csvReader) Read(p []byte) (int, error) {
	if c.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	block := csvBlock()
	n := copy(p, block[c.off:])
	c.off = (c.off + n) % len(block)
	c.remaining -= int64(n)
	return n, nil
}

// heapSampler records the peak of live heap objects while it runs, without
// stopping the world.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		peak := heapObjectBytes()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				h.done <- max(peak, heapObjectBytes())
				return
			case <-tick.C:
				peak = max(peak, heapObjectBytes())
			}
		}
	}()
	return h
}

// Stop returns the peak seen.
func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	return <-h.done
}

// streamResult is what one measured PutEncoded used.
type streamResult struct {
	allocated  uint64 // bytes allocated during the call
	peakGrowth uint64 // peak live heap above the level before the call
}

// measurePutEncoded streams size bytes of CSV through PutEncoded with gzip
// into a fresh bucket and measures the memory it used.
func measurePutEncoded(t testing.TB, cb *codecBundle, key string, size int64) streamResult {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heapObjectBytes()
	sampler := startHeapSampler()

	n, err := blob.PutEncoded(t.Context(), cb.bucket, key, &csvReader{remaining: size},
		blob.EncodeOptions{Compression: qluster.CompressionTypeGzip})

	peak := sampler.Stop()
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Positive(t, n)
	require.Less(t, n, size/2, "gzip must compress CSV")
	return streamResult{allocated: after.TotalAlloc - before.TotalAlloc, peakGrowth: peak - min(peak, base)}
}

// maxStreamingMemory bounds what streaming any amount through PutEncoded
// with gzip may allocate: the gzip compressor (about 1 MiB) and a few copy
// buffers.
const maxStreamingMemory = 3 << 20

// TestPutEncodedStreams checks that PutEncoded's memory use does not grow
// with the data: it streams 24 MiB (4 MiB under the race detector, which
// slows compress/flate tenfold; still more than the bound) and checks both
// the total allocated and the peak live heap. BenchmarkPutEncodedGzip
// streams 200 MiB. Not parallel: the heap is global.
func TestPutEncodedStreams(t *testing.T) {
	size := int64(24 << 20)
	if raceEnabled {
		size = 4 << 20
	}
	cb := setup(t)
	res := measurePutEncoded(t, cb, "big.csv.gz", size)
	t.Logf("streamed %d MiB: allocated %d KiB, peak heap growth %d KiB", size>>20, res.allocated>>10, res.peakGrowth>>10)
	require.Less(t, res.allocated, uint64(maxStreamingMemory), "PutEncoded allocated in proportion to the data")
	require.Less(t, res.peakGrowth, uint64(maxStreamingMemory), "PutEncoded held the data in memory")

	rc, err := blob.GetDecoded(t.Context(), cb.bucket, "big.csv.gz", blob.DecodeOptions{Compression: qluster.CompressionTypeGzip})
	require.NoError(t, err)
	got, want := sha256.New(), sha256.New()
	m, err := io.Copy(got, rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, size, m)
	_, err = io.Copy(want, &csvReader{remaining: size})
	require.NoError(t, err)
	require.Equal(t, want.Sum(nil), got.Sum(nil))
}

// BenchmarkPutEncodedGzip streams 200 MiB of CSV per op through PutEncoded
// with gzip into a fileblob bucket, and fails if memory use grew with it.
func BenchmarkPutEncodedGzip(b *testing.B) {
	const size = 200 << 20
	dir := b.TempDir()
	cb := setupBench(b, dir)
	b.SetBytes(size)
	var worst streamResult
	for i := 0; b.Loop(); i++ {
		res := measurePutEncoded(b, cb, fmt.Sprintf("big-%d.csv.gz", i), size)
		worst.allocated = max(worst.allocated, res.allocated)
		worst.peakGrowth = max(worst.peakGrowth, res.peakGrowth)
	}
	b.ReportMetric(float64(worst.allocated), "alloc-bytes/stream")
	b.ReportMetric(float64(worst.peakGrowth), "peak-heap-growth-bytes")
	if worst.allocated > maxStreamingMemory || worst.peakGrowth > maxStreamingMemory {
		b.Fatalf("streaming 200 MiB used too much memory: allocated %d, peak heap growth %d", worst.allocated, worst.peakGrowth)
	}
}
