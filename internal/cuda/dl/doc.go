// Package dl finds, and tries in order, the shared libraries that
// internal/cuda loads at run time with dlopen (cuBLASLt, NCCL) instead of
// linking them: the GPU machines carry CUDA 13 libraries as Python packages
// while the build machine has Debian's CUDA 11.8, so a binary linked here
// would look for sonames that do not exist there.
package dl
