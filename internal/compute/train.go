package compute

// TrainOps are the backward passes and training-only ops, each next to its
// forward in the backend. The package conventions hold: parameter gradients
// accumulate (+=), activation gradients overwrite (=). A nil gradient output
// means "not needed" and is skipped. In training the model runs the matrix
// products without a fused activation and keeps the pre-activation, which
// ActivationBackward needs.
type TrainOps interface {
	// MatMulBackward for out[M,N] = a[M,K] @ b + bias: da[M,K] = dOut·bᵀ
	// (dOut·b when transB) overwrites; db += aᵀ·dOut ([K,N]), or
	// dOutᵀ·a ([N,K]) when transB; dBias[N] += column sums of dOut.
	MatMulBackward(da, db, dBias, dOut, a, b Tensor, transB bool)

	// ActivationBackward: dx = dOut · act'(x), x the pre-activation.
	ActivationBackward(dx, dOut, x Tensor, act Activation)

	// LayerNormBackward for out = (x-mean)·rstd·w + b over rows of x[N,C]:
	// dx overwrites; dw[C], db[C] accumulate.
	LayerNormBackward(dx, dw, db, dOut, x, mean, rstd, w Tensor)

	// AttentionBackward for AttentionForward(out, probs, q, k, v, heads,
	// causal): dq[B,Tq,C], dk[B,Tk,C], dv[B,Tk,C] overwrite.
	AttentionBackward(dq, dk, dv, dOut, probs, q, k, v Tensor, heads int, causal bool)

	// EmbeddingBackward for EmbeddingForward(out, ids, table, pos):
	// dTable[ids[r]] += dOut[r]; dPos[t] += Σ_b dOut[b,t].
	EmbeddingBackward(dTable, dPos, dOut Tensor, ids []int32)

	// PatchEmbedBackward for PatchEmbedForward(out, x, w, patch):
	// dw[C,3,p,p] += the weight gradient (pixels need no gradient).
	PatchEmbedBackward(dw, dOut, x Tensor, patch int)

	// TokensAssembleBackward for TokensAssembleForward(out, patches, cls,
	// pos): dPatches[B,P,C] overwrites; dCls[C], dPos[1+P,C] accumulate.
	TokensAssembleBackward(dPatches, dCls, dPos, dOut Tensor)

	// GatherRowsBackward for GatherRowsForward(out, x, idx): dx[B,T,C] is
	// overwritten with zeros except dx[b, idx[b]] = dOut[b].
	GatherRowsBackward(dx, dOut Tensor, idx []int)

	// L2NormalizeBackward for y = x/||x|| per row: dx = (dOut - y·(y·dOut))/||x||.
	L2NormalizeBackward(dx, dOut, x Tensor)

	// ContrastiveLoss is the symmetric CLIP loss over this device's rows of a
	// global batch of N, fused with its backward. img[b,E] and txt[b,E] are
	// this device's L2-normalised features, rows rowOffset..rowOffset+b of
	// the gathered allImg[N,E] and allTxt[N,E]. With s = scale:
	//   logits_i = s·img·allTxtᵀ [b,N], logits_t = s·txt·allImgᵀ [b,N],
	//   loss = (CE(logits_i, rowOffset+r) + CE(logits_t, rowOffset+r))/2,
	// averaged over the b local rows (OpenCLIP's local loss). loss[1],
	// dImg, dTxt, dAllImg, dAllTxt and dScale[1] (d loss/d s) overwrite.
	// Columns stream in tiles of tile columns with an online log-sum-exp, so
	// memory is O(b·tile), never O(b·N); tile <= 0 picks a default.
	ContrastiveLoss(loss, dImg, dTxt, dAllImg, dAllTxt, dScale, img, txt, allImg, allTxt Tensor, scale float32, rowOffset, tile int)

	// AdamW is one step of PyTorch's AdamW on one tensor: decoupled decay
	// p -= lr·wd·p, then m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
	// p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + eps), t = step >= 1.
	AdamW(p, g, m, v Tensor, lr, beta1, beta2, eps, weightDecay float32, step int)

	// SumSquares: out[1] = Σ x² (accumulated in float64), for clipping.
	SumSquares(out, x Tensor)

	// Clamp: x = min(max(x, lo), hi) elementwise, in place.
	Clamp(x Tensor, lo, hi float32)

	// Zero sets every element of t to 0 (gradient buffers before a step).
	Zero(t Tensor)
}

// Comm is the collective communication between the D devices of data
// parallel training, one Comm per device. Every call is collective: each
// device makes the same calls in the same order. Errors report a failed or
// cancelled peer.
type Comm interface {
	Rank() int
	Size() int
	// AllGather: out[D·n, ...] = the in[n, ...] of every device, in rank
	// order.
	AllGather(out, in Tensor) error
	// ReduceScatterSum is AllGather's backward: out[n, ...] = Σ over devices
	// of their in[D·n, ...] rows rank·n .. rank·n+n-1.
	ReduceScatterSum(out, in Tensor) error
	// AllReduceMean replaces t on every device by the mean over devices.
	AllReduceMean(t Tensor) error
	// Broadcast copies root's t to every device.
	Broadcast(t Tensor, root int) error
}
