# Simulates contrastive.go + contrastive.cu (kernels at the level of the
# per-thread accumulator ownership of gemm_tile; GEMM launches as their
# documented math over padded storage, including split-K) against a float64
# reference of the CPU semantics.
import math, random

def pad(n): return (n + 127)//128*128
def cdiv(a, b): return (a + b - 1)//b

def padded(X, rows, cols, rp, cp):  # bf16 copy (no rounding here)
    return [[X[r][c] if r < rows and c < cols else 0.0 for c in range(cp)] for r in range(rp)]

def acc_owner_elems(m0, n0):
    # yields (warp, lane, mi, ni, r, row, col) for a 128x128 tile
    for warp in range(8):
        wm, wn = warp >> 2, warp & 3
        for lane in range(32):
            for mi in range(4):
                for ni in range(4):
                    for r in range(4):
                        yield warp, lane, mi, ni, r, m0 + wm*64 + mi*16 + (lane >> 2) + (r >> 1)*8, n0 + wn*32 + ni*8 + (lane & 3)*2 + (r & 1)

def tile_acc(Xb, Yb, m0, n0, ep):
    return {(row, col): sum(Xb[row][k]*Yb[col][k] for k in range(ep)) for (_, _, _, _, _, row, col) in acc_owner_elems(m0, n0)}

def merge(m, l, om, ol):
    M = max(m, om)
    if M == -math.inf: return m, l
    f = lambda a: 0.0 if a == -math.inf else 2**(a - M)
    return M, l*f(m) + ol*f(om)

def lse_kernel(Xb, Yb, N, Rpad, ep, tps, splits, sl2):
    part_m = [[None]*Rpad for _ in range(splits)]; part_l = [[None]*Rpad for _ in range(splits)]
    ntiles = cdiv(N, 128)
    for bx in range(Rpad//128):
        for split in range(splits):
            m0 = bx*128; t0 = split*tps; t1 = min(t0 + tps, ntiles)
            rm = {}; rl = {}
            for t in range(t0, t1):
                acc = tile_acc(Xb, Yb, m0, t*128, ep)
                # per thread, per (mi, hh): 8 values
                vals = {}
                for (warp, lane, mi, ni, r, row, col) in acc_owner_elems(m0, t*128):
                    v = acc[(row, col)]*sl2 if col < N else -math.inf
                    vals.setdefault((warp, lane, mi, r >> 1), []).append(v)
                for key, xs in vals.items():
                    assert len(xs) == 8
                    tmax = max(xs)
                    if tmax == -math.inf: continue
                    m = rm.get(key, -math.inf); l = rl.get(key, 0.0)
                    mnew = max(m, tmax)
                    s = sum(2**(x - mnew) if x != -math.inf else 0.0 for x in xs)
                    rl[key] = l*(2**(m - mnew) if m != -math.inf else 0.0) + s; rm[key] = mnew
            # quad merge (xor 1 then 2)
            keys = [(w, ln, mi, hh) for w in range(8) for ln in range(32) for mi in range(4) for hh in range(2)]
            cur = {k: (rm.get(k, -math.inf), rl.get(k, 0.0)) for k in keys}
            for off in (1, 2):
                nxt = {}
                for (w, ln, mi, hh) in keys:
                    m, l = cur[(w, ln, mi, hh)]; om, ol = cur[(w, ln ^ off, mi, hh)]
                    nxt[(w, ln, mi, hh)] = merge(m, l, om, ol)
                cur = nxt
            red = {}
            for (w, ln, mi, hh) in keys:
                if ln & 3: continue
                wm, wn = w >> 2, w & 3
                row = wm*64 + mi*16 + (ln >> 2) + hh*8
                red[(wn, row)] = cur[(w, ln, mi, hh)]
            for tid in range(128):
                m, l = red[(0, tid)]
                for w in range(1, 4):
                    m, l = merge(m, l, *red[(w, tid)])
                part_m[split][m0 + tid] = m; part_l[split][m0 + tid] = l
    return part_m, part_l

def gemm(C, ldc_rows, A, A_KR, B, B_KR, M, N, kpad, alpha, accumulate, splits=1, a_row_off=0, b_row_off=0, c_row_off=0):
    # A, B are padded storage (lists of rows); offsets model pointer offsets in rows
    ktiles = kpad//32; kper = cdiv(ktiles, splits)
    tot = {}
    for z in range(splits):
        kb = z*kper; kn = min(kper, ktiles - kb)
        if splits > 1 and kn <= 0: continue
        for m in range(M):
            for n in range(N):
                s = 0.0
                for k in range(kb*32, (kb + kn)*32):
                    a = A[a_row_off + k][m] if A_KR else A[a_row_off + m][k]
                    b = B[b_row_off + k][n] if B_KR else B[b_row_off + n][k]
                    s += a*b
                v = alpha*s
                if accumulate == 0: C[c_row_off + m][n] = v
                else: C[c_row_off + m][n] += v

def run(R, N, E, off, scale, chunk_elems, sms=132):
    allImg = [[random.gauss(0, 1) for _ in range(E)] for _ in range(N)]
    allTxt = [[random.gauss(0, 1) for _ in range(E)] for _ in range(N)]
    for X in (allImg, allTxt):
        for row in X:
            nrm = math.sqrt(sum(v*v for v in row))
            row[:] = [v/nrm for v in row]
    img, txt = allImg[off:off+R], allTxt[off:off+R]
    rp, np_, ep = pad(R), pad(N), pad(E)
    rowBlocks, colTiles = rp//128, np_//128
    splits = min(max(cdiv(2*sms, rowBlocks), 1), colTiles)
    tps = cdiv(colTiles, splits); splits = cdiv(colTiles, tps)
    rc = min(max(chunk_elems//np_//128*128, 128), rp)
    sl2 = scale*math.log2(math.e); inv2R = 1/(2*R)
    rowloss = [None]*(2*R); parts = []
    outs = {}
    for di, (x, y) in enumerate(((img, allTxt), (txt, allImg))):
        xb, yb = padded(x, R, E, rp, ep), padded(y, N, E, np_, ep)
        pm, pl = lse_kernel(xb, yb, N, rp, ep, tps, splits, sl2)
        lse2 = [None]*rp
        for r in range(R):
            m, l = -math.inf, 0.0
            for s in range(splits): m, l = merge(m, l, pm[s][r], pl[s][r])
            L2 = m + math.log2(l); lse2[r] = L2
            rowloss[di*R + r] = L2*math.log(2) - scale*sum(a*b for a, b in zip(x[r], y[off + r]))
        dX = [[math.nan]*E for _ in range(R)]; dY = [[math.nan]*E for _ in range(N)]
        for c0 in range(0, R, rc):
            rows = min(rc, R - c0); rowsPad = pad(rows)
            G = [[None]*np_ for _ in range(rowsPad)]
            for by in range(rowsPad//128):
                for bx in range(colTiles):
                    m0, n0 = c0 + by*128, bx*128
                    acc = tile_acc(xb, yb, m0, n0, ep); ds = 0.0
                    for (row, col), a in acc.items():
                        gg = 0.0
                        if row < R and col < N:
                            p = 2**(a*sl2 - lse2[row]); gg = (p - (1.0 if col == off + row else 0.0))*inv2R; ds += gg*a
                        G[row - c0][col] = gg
                    parts.append(ds)
            assert all(v is not None for row in G for v in row)
            # dX rows c0.. (split-K into zeroed rows)
            sp = max(min(cdiv(2*sms, rowsPad//128*ep//128), (np_//32)//8), 1)
            if sp > 1:
                for r in range(c0, c0 + rows): dX[r] = [0.0]*E
            gemm(dX, None, G, False, yb, True, rows, E, np_, scale, 2 if sp > 1 else 0, sp, c_row_off=c0)
            gemm(dY, None, G, True, xb, True, N, E, rowsPad, scale, 1 if c0 > 0 else 0, b_row_off=c0)
        outs[di] = (dX, dY)
    loss = sum(rowloss)*inv2R; dscale = sum(parts)
    # reference
    def ce_grads(x, y):
        G = []; tot = 0.0
        for r in range(R):
            s = [scale*sum(a*b for a, b in zip(x[r], y[j])) for j in range(N)]
            m = max(s); z = sum(math.exp(v - m) for v in s); l = m + math.log(z)
            tot += l - s[off + r]
            G.append([(math.exp(v - l) - (1.0 if j == off + r else 0.0))*inv2R for j, v in enumerate(s)])
        dx = [[scale*sum(G[r][j]*y[j][e] for j in range(N)) for e in range(E)] for r in range(R)]
        dy = [[scale*sum(G[r][j]*x[r][e] for r in range(R)) for e in range(E)] for j in range(N)]
        dsc = sum(G[r][j]*sum(a*b for a, b in zip(x[r], y[j])) for r in range(R) for j in range(N))
        return tot, dx, dy, dsc
    t1, dImg, dAllTxt, s1 = ce_grads(img, allTxt)
    t2, dTxt, dAllImg, s2 = ce_grads(txt, allImg)
    rl = (t1 + t2)*inv2R
    md = lambda a, b: max(abs(p - q) for ra, rb in zip(a, b) for p, q in zip(ra, rb))
    worst = max(abs(loss - rl), abs(dscale - (s1 + s2)), md(outs[0][0], dImg), md(outs[0][1], dAllTxt),
                md(outs[1][0], dTxt), md(outs[1][1], dAllImg))
    print(f"R={R} N={N} E={E} off={off} splits={splits} rc={rc}: loss {abs(loss-rl):.2e} dScale {abs(dscale-(s1+s2)):.2e}",
          f"dImg {md(outs[0][0], dImg):.2e} dAllTxt {md(outs[0][1], dAllTxt):.2e} dTxt {md(outs[1][0], dTxt):.2e} dAllImg {md(outs[1][1], dAllImg):.2e}")
    assert worst < 1e-9, "contrastive mapping broken"

random.seed(3)
run(5, 9, 8, 2, 10.0, 32 << 20)
run(130, 300, 40, 100, 20.0, 128*384)   # several chunks, several splits
run(129, 129, 16, 0, 50.0, 128*128)
run(20, 600, 8, 300, 5.0, 32 << 20)  # split-K dX
