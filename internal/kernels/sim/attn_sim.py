# Simulates attention.cu (attn_fwd, attn_bwd_dot, attn_bwd) for one (b, h)
# with the PTX fragment semantics, in float64 (no bf16 rounding), against a
# direct reference.
import math, random

def swz64(row, ch): return row*64 + ((ch ^ (row & 7)) << 3)

def ldsm(smem, addrs, trans):
    regs = [[None]*4 for _ in range(32)]
    for i in range(4):
        mat = [[smem[addrs[8*i + r] + c] for c in range(8)] for r in range(8)]
        for t in range(32):
            regs[t][i] = (mat[t//4][2*(t%4)], mat[t//4][2*(t%4)+1]) if not trans else (mat[2*(t%4)][t//4], mat[2*(t%4)+1][t//4])
    return regs

def mma(acc, a, b0, b1):
    A = [[0.0]*16 for _ in range(16)]; B = [[0.0]*8 for _ in range(16)]
    for t in range(32):
        g, c = t//4, t%4
        A[g][2*c], A[g][2*c+1] = a[t][0]; A[g+8][2*c], A[g+8][2*c+1] = a[t][1]
        A[g][2*c+8], A[g][2*c+9] = a[t][2]; A[g+8][2*c+8], A[g+8][2*c+9] = a[t][3]
        B[2*c][g], B[2*c+1][g] = b0[t]; B[2*c+8][g], B[2*c+9][g] = b1[t]
    for t in range(32):
        g, c = t//4, t%4
        for r in range(4):
            row = g + (r//2)*8; col = 2*c + (r%2)
            acc[t][r] += sum(A[row][k]*B[k][col] for k in range(16))

def load_rows64(X, t0, T):
    # X: list of rows (64 floats); returns swizzled tile
    s = [None]*4096
    for tid in range(128):
        for i in range(8):
            idx = tid + i*128; row, c4 = idx >> 4, idx & 15
            v = X[t0+row][c4*4:c4*4+4] if t0 + row < T else [0.0]*4
            base = swz64(row, c4 >> 1) + (c4 & 1)*4
            for e in range(4): s[base+e] = v[e]
    assert None not in s
    return s

frag_a64 = lambda s, rb, kk: ldsm(s, [swz64(rb + (l & 15), (kk >> 3) + (l >> 4)) for l in range(32)], False)
frag_b64_nk = lambda s, nb, kk: ldsm(s, [swz64(nb + (l & 7) + ((l >> 4) << 3), (kk >> 3) + ((l >> 3) & 1)) for l in range(32)], False)
frag_b64_kn = lambda s, nb, kk: ldsm(s, [swz64(kk + (l & 15), (nb >> 3) + (l >> 4)) for l in range(32)], True)
frag_a64_t = lambda s, mb, kk: ldsm(s, [swz64(kk + (l & 7) + ((l >> 4) << 3), (mb >> 3) + ((l >> 3) & 1)) for l in range(32)], True)

def pack_a(c, j):  # c[lane][8][4] -> a[lane][4] pairs
    return [((c[t][2*j][0], c[t][2*j][1]), (c[t][2*j][2], c[t][2*j][3]), (c[t][2*j+1][0], c[t][2*j+1][1]), (c[t][2*j+1][2], c[t][2*j+1][3])) for t in range(32)]

def zeros(): return [[[0.0]*4 for _ in range(8)] for _ in range(32)]

def quad(vals, f):  # vals[lane] -> reduced over quads
    return [f([vals[(t//4)*4 + i] for i in range(4)]) for t in range(32)]

def attn_fwd(Q, K, V, Tq, Tk, causal, scale):
    sl2 = scale*math.log2(math.e)
    out = [[None]*64 for _ in range(Tq)]; lse = [None]*Tq
    for q0 in range(0, Tq, 64):
        sQ = load_rows64(Q, q0, Tq)
        nkt = (Tk + 63)//64
        if causal: nkt = min(nkt, (q0 + 63)//64 + 1)
        warps = []
        for w in range(4):
            qf = [frag_a64(sQ, w*16, kk*16) for kk in range(4)]
            warps.append(dict(qf=qf, o=zeros(), m=[[-math.inf]*2 for _ in range(32)], l=[[0.0]*2 for _ in range(32)]))
        for kt in range(nkt):
            k0 = kt*64
            sK = load_rows64(K, k0, Tk); sV = load_rows64(V, k0, Tk)
            for w in range(4):
                W = warps[w]; s = zeros()
                for kk in range(4):
                    for np_ in range(4):
                        bb = frag_b64_nk(sK, np_*16, kk*16)
                        a = W['qf'][kk]
                        for half, nt in ((0, 2*np_), (1, 2*np_+1)):
                            tmp = [s[t][nt] for t in range(32)]
                            mma(tmp, [a[t] for t in range(32)], [bb[t][2*half] for t in range(32)], [bb[t][2*half+1] for t in range(32)])
                for t in range(32):
                    g, tg = t >> 2, t & 3
                    for nt in range(8):
                        for r in range(4):
                            key = k0 + nt*8 + tg*2 + (r & 1); qi = q0 + w*16 + g + (r >> 1)*8
                            x = s[t][nt][r]*sl2
                            if key >= Tk or (causal and key > qi): x = -math.inf
                            s[t][nt][r] = x
                for hh in range(2):
                    mx = [max(max(s[t][nt][2*hh], s[t][nt][2*hh+1]) for nt in range(8)) for t in range(32)]
                    mx = quad(mx, max)
                    for t in range(32):
                        mnew = max(W['m'][t][hh], mx[t]); mref = 0.0 if mnew == -math.inf else mnew
                        alpha = 2**(W['m'][t][hh] - mref) if W['m'][t][hh] != -math.inf else 0.0
                        W['m'][t][hh] = mnew; ps = 0.0
                        for nt in range(8):
                            W['o'][t][nt][2*hh] *= alpha; W['o'][t][nt][2*hh+1] *= alpha
                            p0 = 2**(s[t][nt][2*hh] - mref) if s[t][nt][2*hh] != -math.inf else 0.0
                            p1 = 2**(s[t][nt][2*hh+1] - mref) if s[t][nt][2*hh+1] != -math.inf else 0.0
                            s[t][nt][2*hh], s[t][nt][2*hh+1] = p0, p1; ps += p0 + p1
                        W['l'][t][hh] = W['l'][t][hh]*alpha + ps
                for j in range(4):
                    a = pack_a(s, j)
                    for dp in range(4):
                        bb = frag_b64_kn(sV, dp*16, j*16)
                        for half, nt in ((0, 2*dp), (1, 2*dp+1)):
                            tmp = [W['o'][t][nt] for t in range(32)]
                            mma(tmp, a, [bb[t][2*half] for t in range(32)], [bb[t][2*half+1] for t in range(32)])
        for w in range(4):
            W = warps[w]
            for hh in range(2):
                l = quad([W['l'][t][hh] for t in range(32)], sum)
                for t in range(32):
                    g, tg = t >> 2, t & 3
                    qi = q0 + w*16 + g + hh*8
                    if qi >= Tq: continue
                    inv = 1/l[t] if l[t] > 0 else 0
                    for nt in range(8):
                        out[qi][nt*8+tg*2] = W['o'][t][nt][2*hh]*inv; out[qi][nt*8+tg*2+1] = W['o'][t][nt][2*hh+1]*inv
                    if tg == 0: lse[qi] = (W['m'][t][hh] + math.log2(l[t]))*math.log(2)
    return out, lse

def attn_bwd(Q, K, V, dO, O, lse, Tq, Tk, causal, scale):
    sl2 = scale*math.log2(math.e)
    D = [sum(dO[i][d]*O[i][d] for d in range(64)) for i in range(Tq)]
    dq = [[None]*64 for _ in range(Tq)]; dk = [[None]*64 for _ in range(Tk)]; dv = [[None]*64 for _ in range(Tk)]
    nkt, nqt = (Tk+63)//64, (Tq+63)//64
    for kt in range(nkt):
        k0 = kt*64
        sK = load_rows64(K, k0, Tk); sV = load_rows64(V, k0, Tk)
        kf = [[frag_a64(sK, w*16, kk*16) for kk in range(4)] for w in range(4)]
        vf = [[frag_a64(sV, w*16, kk*16) for kk in range(4)] for w in range(4)]
        dka = [zeros() for _ in range(4)]; dva = [zeros() for _ in range(4)]
        for qt in range(kt if causal else 0, nqt):
            q0 = qt*64
            sQ = load_rows64(Q, q0, Tq); sdO = load_rows64(dO, q0, Tq)
            sL = [lse[q0+i]*math.log2(math.e) if q0+i < Tq else 0 for i in range(64)]
            sD = [D[q0+i] if q0+i < Tq else 0 for i in range(64)]
            sdS = [None]*4096
            for w in range(4):
                st, dpt = zeros(), zeros()
                for kk in range(4):
                    for np_ in range(4):
                        bq = frag_b64_nk(sQ, np_*16, kk*16); bo = frag_b64_nk(sdO, np_*16, kk*16)
                        for half, nt in ((0, 2*np_), (1, 2*np_+1)):
                            tmp = [st[t][nt] for t in range(32)]
                            mma(tmp, kf[w][kk], [bq[t][2*half] for t in range(32)], [bq[t][2*half+1] for t in range(32)])
                            tmp = [dpt[t][nt] for t in range(32)]
                            mma(tmp, vf[w][kk], [bo[t][2*half] for t in range(32)], [bo[t][2*half+1] for t in range(32)])
                for t in range(32):
                    g, tg = t >> 2, t & 3
                    for nt in range(8):
                        for r in range(4):
                            key = k0 + w*16 + g + (r >> 1)*8; ql = nt*8 + tg*2 + (r & 1); qi = q0 + ql
                            valid = key < Tk and qi < Tq and (not causal or key <= qi)
                            p = 2**(st[t][nt][r]*sl2 - sL[ql]) if valid else 0.0
                            st[t][nt][r] = p; dpt[t][nt][r] = p*(dpt[t][nt][r] - sD[ql])
                for j in range(4):
                    ap, as_ = pack_a(st, j), pack_a(dpt, j)
                    for dp in range(4):
                        bo = frag_b64_kn(sdO, dp*16, j*16); bq = frag_b64_kn(sQ, dp*16, j*16)
                        for half, nt in ((0, 2*dp), (1, 2*dp+1)):
                            tmp = [dva[w][t][nt] for t in range(32)]
                            mma(tmp, ap, [bo[t][2*half] for t in range(32)], [bo[t][2*half+1] for t in range(32)])
                            tmp = [dka[w][t][nt] for t in range(32)]
                            mma(tmp, as_, [bq[t][2*half] for t in range(32)], [bq[t][2*half+1] for t in range(32)])
                for t in range(32):
                    g, tg = t >> 2, t & 3
                    for nt in range(8):
                        for hh in range(2):
                            krow = w*16 + g + hh*8; base = swz64(krow, nt) + tg*2
                            sdS[base], sdS[base+1] = dpt[t][nt][2*hh], dpt[t][nt][2*hh+1]
            assert None not in sdS
            for w in range(4):
                dqa = zeros()
                for kk in range(4):
                    a = frag_a64_t(sdS, w*16, kk*16)
                    for dp in range(4):
                        bk = frag_b64_kn(sK, dp*16, kk*16)
                        for half, nt in ((0, 2*dp), (1, 2*dp+1)):
                            tmp = [dqa[t][nt] for t in range(32)]
                            mma(tmp, a, [bk[t][2*half] for t in range(32)], [bk[t][2*half+1] for t in range(32)])
                for t in range(32):
                    g, tg = t >> 2, t & 3
                    for hh in range(2):
                        qi = q0 + w*16 + g + hh*8
                        if qi >= Tq: continue
                        for nt in range(8):
                            for e in range(2):
                                val = scale*dqa[t][nt][2*hh+e]
                                col = nt*8 + tg*2 + e
                                dq[qi][col] = val if kt == 0 else dq[qi][col] + val
        for w in range(4):
            for t in range(32):
                g, tg = t >> 2, t & 3
                for hh in range(2):
                    key = k0 + w*16 + g + hh*8
                    if key >= Tk: continue
                    for nt in range(8):
                        for e in range(2):
                            dk[key][nt*8+tg*2+e] = scale*dka[w][t][nt][2*hh+e]; dv[key][nt*8+tg*2+e] = dva[w][t][nt][2*hh+e]
    return dq, dk, dv

def ref(Q, K, V, dO, Tq, Tk, causal, scale):
    out = [[0.0]*64 for _ in range(Tq)]; lse = [0.0]*Tq
    dq = [[0.0]*64 for _ in range(Tq)]; dk = [[0.0]*64 for _ in range(Tk)]; dv = [[0.0]*64 for _ in range(Tk)]
    for i in range(Tq):
        n = i+1 if causal else Tk
        s = [scale*sum(Q[i][d]*K[j][d] for d in range(64)) for j in range(n)]
        m = max(s); e = [math.exp(x-m) for x in s]; z = sum(e); p = [x/z for x in e]
        lse[i] = m + math.log(z)
        for j in range(n):
            for d in range(64): out[i][d] += p[j]*V[j][d]
        dp = [sum(dO[i][d]*V[j][d] for d in range(64)) for j in range(n)]
        dot = sum(p[j]*dp[j] for j in range(n))
        for j in range(n):
            ds = p[j]*(dp[j]-dot)
            for d in range(64):
                dq[i][d] += scale*ds*K[j][d]; dk[j][d] += scale*ds*Q[i][d]; dv[j][d] += p[j]*dO[i][d]
    return out, lse, dq, dk, dv

def maxdiff(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))

random.seed(2)
for Tq, Tk, causal in ((5, 70, False), (70, 70, True), (130, 20, False), (65, 65, True)):
    Q = [[random.gauss(0, 1) for _ in range(64)] for _ in range(Tq)]
    K = [[random.gauss(0, 1) for _ in range(64)] for _ in range(Tk)]
    V = [[random.gauss(0, 1) for _ in range(64)] for _ in range(Tk)]
    dO = [[random.gauss(0, 1) for _ in range(64)] for _ in range(Tq)]
    scale = 1/8
    out, lse = attn_fwd(Q, K, V, Tq, Tk, causal, scale)
    ro, rl, rdq, rdk, rdv = ref(Q, K, V, dO, Tq, Tk, causal, scale)
    dq, dk, dv = attn_bwd(Q, K, V, dO, out, lse, Tq, Tk, causal, scale)
    diffs = {"out": maxdiff(out, ro), "lse": max(abs(a-b) for a, b in zip(lse, rl)),
             "dq": maxdiff(dq, rdq), "dk": maxdiff(dk, rdk), "dv": maxdiff(dv, rdv)}
    print(f"Tq={Tq} Tk={Tk} causal={causal}", " ".join(f"{k} {v:.1e}" for k, v in diffs.items()))
    assert max(diffs.values()) < 1e-9, "attention mapping broken"
