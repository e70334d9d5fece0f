// Package imageproc decodes images and preprocesses them exactly as OpenAI's
// CLIP _transform does under PIL.
package imageproc

import "io"

// DefaultMaxPixels is PIL's decompression-bomb limit (Image.MAX_IMAGE_PIXELS).
const DefaultMaxPixels = 89478485

// Image is a decoded image in one of PIL's modes.
type Image struct{}

// DecodeFile decodes PNG, JPEG, GIF or WebP, refusing images over maxPixels.
func DecodeFile(path string, maxPixels int) (*Image, error) { panic("stub") }

// Decode is DecodeFile on a reader; name is used in errors.
func Decode(r io.Reader, name string, maxPixels int) (*Image, error) { panic("stub") }

// ResizeCropRGB is Resize(size, BICUBIC) + CenterCrop(size) + convert("RGB"):
// uint8 [size, size, 3].
func ResizeCropRGB(img *Image, size int) []uint8 { panic("stub") }

// Normalize is ToTensor + Normalize: float32 [3, size, size].
func Normalize(rgb []uint8, size int, mean, std [3]float32) []float32 { panic("stub") }

// Preprocess is ResizeCropRGB followed by Normalize.
func Preprocess(img *Image, size int, mean, std [3]float32) []float32 { panic("stub") }
