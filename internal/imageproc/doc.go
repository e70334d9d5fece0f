// Package imageproc decodes images and turns them into model inputs exactly
// as OpenAI's CLIP preprocessing does under PIL 9.4 and torchvision 0.14:
//
//	Resize(size, BICUBIC) on the shorter side -> CenterCrop(size) ->
//	convert("RGB") -> ToTensor -> Normalize(mean, std)
//
// "Exactly" means byte for byte on the uint8 RGB result and bit for bit on
// the float32 tensor, for PNG, JPEG, GIF and WebP files, in every mode PIL
// opens them in. Three things make that possible:
//
//   - Images keep the mode PIL gives them (1, L, LA, P, RGB, RGBA, CMYK,
//     I), because the mode decides how PIL resizes (NEAREST for P and 1,
//     alpha-premultiplied for LA and RGBA, float64 for I) and how it
//     converts to RGB afterwards (after the crop, as CLIP does it).
//   - The resize is PIL's two-pass convolution (Resample.c): the bicubic
//     kernel with a = -0.5 stretched when shrinking, weights computed in
//     float64 and rounded to 22-bit fixed point, int32 sums, horizontal
//     pass first, each pass rounded and clipped to uint8.
//   - JPEG is decoded as libjpeg-turbo decodes it (ISLOW inverse DCT,
//     "fancy" chroma upsampling, its YCbCr->RGB tables), lossy WebP with
//     libwebp's upsampler and YUV->RGB formulas, GIF frames as PIL
//     composes them. Go's image/jpeg differs by a few levels; it is kept
//     only as a fallback for JPEGs the main decoder refuses (arithmetic
//     coding, 12-bit, lossless).
//
// Only the pixels inside the centre crop are computed, which gives the same
// bytes as resizing everything and cropping, with less work.
//
// Shapes: an RGB result is uint8 [size, size, 3] (row-major, channels
// last); a model input is float32 [3, size, size] (channels first).
//
// testdata/make_pil_fixtures.py regenerates the PIL 9.4 reference cases in
// testdata/pil that the tests compare against, beside the golden set.
package imageproc
