package mnist

import (
	"strconv"
	"strings"
)

// DigitNames are the class names, and the test split's folder names, of
// the digits 0..9: zero-shot evaluation reads its labels from the folders.
var DigitNames = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// CaptionTemplates are the training captions: {word} becomes the digit's
// name ("seven"), {digit} its numeral ("7"). Several phrasings, so that the
// text tower learns the digit rather than one sentence.
var CaptionTemplates = []string{
	"a photo of the number {word}",
	"a handwritten {digit}",
	"the digit {word}",
	"a handwritten digit {word}",
	"an image of the number {digit}",
	"a white {word} written on a black background",
	"the number {digit}, written by hand",
	"a drawing of the digit {word}",
}

// Caption returns the training caption of image index of a split with the
// given label. The template is picked by a hash of the index, so it is the
// same on every run and machine and not correlated with the label order.
func Caption(label uint8, index int) string {
	t := CaptionTemplates[mix(uint64(index))%uint64(len(CaptionTemplates))]
	return strings.NewReplacer("{word}", DigitNames[label], "{digit}", strconv.Itoa(int(label))).Replace(t)
}

// mix is SplitMix64's finaliser: a fixed, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
