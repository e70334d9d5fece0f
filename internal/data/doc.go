// Package data reads image-caption training data and turns it into batches
// of model inputs for `clip train`.
//
// Sources (Open picks one from the spec):
//
//   - CSV/TSV tables (ReadTable): OpenCLIP's CsvDataset layout, a header row
//     naming an image column ("filepath") and a caption column ("title"),
//     RFC 4180 quoting, image paths relative to the table's folder.
//   - WebDataset tar shards (OpenShards): a brace pattern such as
//     "shards/{00000..00099}.tar"; inside each shard an image member
//     (.jpg, .jpeg, .png, .webp) is paired with a .txt or .json caption of
//     the same key. Only the headers are read (data is seeked past), so a
//     Dataset is an index: every sample knows its shard, offset and size.
//
// Because every Dataset is indexed, the loader addresses samples by their
// position in an epoch's order, not by streaming shards. That is what makes
// runs reproducible and resumable: epoch e's order is the identity, or with
// Shuffle a permutation drawn from (Seed, e); a sample's augmentation is
// drawn from (Seed, e, position). Nothing depends on how many workers decode
// or which one ran a sample, so a run killed at any step and resumed from
// the Position its checkpoint saved sees exactly the batches it would have
// seen. Splitting the work is therefore simple: the Loader's workers take
// positions as they come free and the results are put back in order; each
// device of a data-parallel step takes its contiguous slice of the global
// batch (rows rank*B/W ..), so the global batch does not depend on the
// number of devices either.
//
// Policies:
//
//   - A sample that cannot be read, decoded, preprocessed or tokenized is
//     skipped: the next one in the order takes its place, it is counted
//     (Batch.Skipped, Loader.Skipped) and reported through OnSkip. With
//     LoaderOptions.Strict it is an error naming the sample instead.
//   - An epoch ends when fewer than BatchSize positions remain; the tail is
//     dropped (drop_last). A batch never mixes two epochs: if skips exhaust
//     an epoch while a batch is being filled, that partial batch is dropped
//     and the batch is filled from the start of the next epoch.
//   - Tar shards: a member without a partner (image without caption,
//     caption without image, a caption that is not UTF-8 text or JSON with
//     a "caption"/"text" string) is left out of the index and counted in
//     Dataset.Unpaired. A truncated or corrupt shard keeps every complete
//     member before the damage; the cut-off member is counted and the
//     shard is named in Dataset.Problems. A shard that does not start like
//     a tar at all, or is missing, is an error naming it, because that is
//     almost always a wrong path rather than a damaged download.
//
// Preprocessing without augmentation is CLIP's inference transform, the one
// `clip embed` uses (imageproc.Preprocess: shortest-side PIL bicubic resize,
// centre crop, RGB, mean/std). With augmentation it is OpenCLIP's training
// transform: torchvision RandomResizedCrop(R, scale=(0.9, 1.0),
// ratio=(3/4, 4/3), BICUBIC), RGB, mean/std (imageproc.ResizedCropRGB does
// the PIL-exact crop and resize). Pixels are float32 [B, 3, R, R].
package data
