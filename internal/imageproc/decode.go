package imageproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Errors that Decode wraps, for callers that count why samples were
// skipped.
var (
	// ErrUnknownFormat: the data is not PNG, JPEG, GIF or WebP.
	ErrUnknownFormat = errors.New("unknown image format (not PNG, JPEG, GIF or WebP)")
	// ErrTooManyPixels: the header declares more pixels than allowed, or
	// none at all.
	ErrTooManyPixels = errors.New("image size out of bounds")
)

// sizeError reads well on its own and still matches ErrTooManyPixels.
type sizeError string

func (e sizeError) Error() string        { return string(e) }
func (e sizeError) Is(target error) bool { return target == ErrTooManyPixels }

// DecodeFile decodes a PNG, JPEG, GIF (first frame) or WebP file into the
// mode PIL 9.4 would open it in. It refuses images whose header declares
// more than maxPixels pixels before decoding them; maxPixels <= 0 means
// DefaultMaxPixels, and math.MaxInt lifts the limit. (PIL only warns
// between 1x and 2x its limit; this refuses.) Errors start with path.
func DecodeFile(path string, maxPixels int) (*Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(data, path, maxPixels)
}

// Decode is DecodeFile on a reader; name is used in errors.
func Decode(r io.Reader, name string, maxPixels int) (*Image, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return DecodeBytes(data, name, maxPixels)
}

// DecodeBytes is DecodeFile on a file's contents already in memory (a tar
// member, say); name is used in errors. data is only read.
func DecodeBytes(data []byte, name string, maxPixels int) (img *Image, err error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	f := sniff(data)
	if f == nil {
		return nil, fmt.Errorf("%s: %w", name, ErrUnknownFormat)
	}
	// The decoders are meant never to panic on bad input, but a corrupt
	// file in a bulk run must cost one sample, not the process.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%s: decoding %s: %v", name, f.name, p)
		}
	}()
	w, h, err := f.size(data)
	if err != nil {
		return nil, fmt.Errorf("%s: reading %s header: %w", name, f.name, err)
	}
	if err := checkPixels(w, h, maxPixels); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	img, err = f.decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: decoding %s: %w", name, f.name, err)
	}
	return img, nil
}

// format is one supported file format.
type format struct {
	name   string
	magic  func([]byte) bool
	size   func([]byte) (w, h int, err error) // from the header alone
	decode func([]byte) (*Image, error)
}

var formats = []format{
	{"PNG", isPNG, pngSize, decodePNG},
	{"JPEG", isJPEG, jpegSize, decodeJPEG},
	{"GIF", isGIF, gifSize, decodeGIF},
	{"WebP", isWebP, webpSize, decodeWebP},
}

func sniff(data []byte) *format {
	for i := range formats {
		if formats[i].magic(data) {
			return &formats[i]
		}
	}
	return nil
}

func isPNG(b []byte) bool  { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }
func isJPEG(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) }
func isGIF(b []byte) bool {
	return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
}
func isWebP(b []byte) bool {
	return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
}

// checkPixels refuses empty images and decompression bombs.
func checkPixels(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return sizeError(fmt.Sprintf("image is %dx%d pixels", w, h))
	}
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if n := int64(w) * int64(h); n > int64(maxPixels) {
		return sizeError(fmt.Sprintf("image is %dx%d = %d pixels, over the limit of %d", w, h, n, maxPixels))
	}
	return nil
}
