package imageproc

import (
	"fmt"
	"image"
)

// ResizedShape is torchvision 0.14's Resize(size) output size for a
// width x height image: the shorter side becomes size, the longer side
// int(size*long/short), truncated (computed in float64 as Python does).
func ResizedShape(width, height, size int) (w, h int) {
	short, long := width, height
	if width > height {
		short, long = height, width
	}
	newLong := int(float64(size*long) / float64(short))
	if width <= height {
		return size, newLong
	}
	return newLong, size
}

// CenterCropWindow is torchvision 0.14's CenterCrop(size) of a width x
// height image as a rectangle in that image's coordinates. An axis longer
// than size starts at int(round((n-size)/2.0)), rounding half to even as
// Python does. A shorter axis is padded with zeros, (size-n)/2 before and
// the rest after, so the window starts before 0 and ends past n.
func CenterCropWindow(width, height, size int) image.Rectangle {
	x := cropStart(width, size)
	y := cropStart(height, size)
	return image.Rect(x, y, x+size, y+size)
}

func cropStart(n, size int) int {
	if n < size {
		return -((size - n) / 2)
	}
	d := n - size
	q := d / 2
	if d%2 == 1 && q%2 == 1 {
		q++ // x.5 rounds to the even neighbour
	}
	return q
}

// ResizeCropRGB is CLIP's image transform up to ToTensor: torchvision
// Resize(size, BICUBIC) of the shorter side, CenterCrop(size), then PIL's
// convert("RGB"). The result is uint8 [size, size, 3] and equals PIL 9.4's
// byte for byte. It panics if size < 1.
func ResizeCropRGB(img *Image, size int) []uint8 {
	dst := make([]uint8, size*size*3)
	ResizeCropRGBInto(dst, img, size)
	return dst
}

// ResizeCropRGBInto is ResizeCropRGB writing into dst, which must hold
// size*size*3 bytes. It allocates nothing once its internal buffers have
// grown, so it suits batch loops.
func ResizeCropRGBInto(dst []uint8, img *Image, size int) {
	checkDst(len(dst), size)
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	resizeCropRGB(dst, img, size, s)
}

func resizeCropRGB(dst []uint8, img *Image, size int, s *scratch) {
	w, h := ResizedShape(img.width, img.height, size)
	win := CenterCropWindow(w, h, size)
	resizeWindow(&s.win, img, fullBox(img), w, h, win, s)
	toRGB(dst, &s.win)
}

// ResizedCropRGB is torchvision's resized_crop as RandomResizedCrop(size,
// interpolation=BICUBIC) applies it, followed by convert("RGB"): PIL crops
// the box (left, top, right, bottom in source pixels; parts outside the
// image are zero) and resizes the crop to size x size with BICUBIC (NEAREST
// for modes 1 and P). Note that the kernel sees only the crop, not the
// pixels around it, unlike PIL's resize(box=...). The result is uint8
// [size, size, 3]. It panics if size < 1 or the box is empty.
func ResizedCropRGB(img *Image, box [4]int, size int) []uint8 {
	dst := make([]uint8, size*size*3)
	ResizedCropRGBInto(dst, img, box, size)
	return dst
}

// ResizedCropRGBInto is ResizedCropRGB writing into dst, which must hold
// size*size*3 bytes.
func ResizedCropRGBInto(dst []uint8, img *Image, box [4]int, size int) {
	checkDst(len(dst), size)
	r := image.Rect(box[0], box[1], box[2], box[3])
	if box[2] <= box[0] || box[3] <= box[1] {
		panic(fmt.Sprintf("imageproc: empty crop box %v", box))
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	// The crop is PIL's crop, i.e. the identity resize of a window.
	resizeWindow(&s.crop, img, fullBox(img), img.width, img.height, r, s)
	resizeWindow(&s.win, &s.crop, fullBox(&s.crop), size, size, image.Rect(0, 0, size, size), s)
	toRGB(dst, &s.win)
}

func checkDst(n, size int) {
	if size < 1 {
		panic(fmt.Sprintf("imageproc: size %d < 1", size))
	}
	if n != size*size*3 {
		panic(fmt.Sprintf("imageproc: RGB buffer has %d bytes, want %d for size %d", n, size*size*3, size))
	}
}
