# Simulates gemm.cuh's tile loads, swizzles, ldmatrix addressing and mma
# fragments (PTX ISA semantics) for one 128x128 block; checks against A@B.
import random

def swz32(row, ch): return row*32 + ((ch ^ ((row >> 1) & 3)) << 3)
def swz128(row, ch): return row*128 + ((ch ^ (row & 7)) << 3)

def ldsm(smem, addrs, trans):
    # addrs[lane] = element offset of the row start; returns regs[lane][i] = (lo, hi)
    regs = [[None]*4 for _ in range(32)]
    for i in range(4):
        mat = [[smem[addrs[8*i + r] + c] for c in range(8)] for r in range(8)]
        for t in range(32):
            if not trans:
                regs[t][i] = (mat[t//4][2*(t%4)], mat[t//4][2*(t%4)+1])
            else:
                regs[t][i] = (mat[2*(t%4)][t//4], mat[2*(t%4)+1][t//4])
    return regs

def mma(acc, a, b0, b1):
    # acc[lane][4], a[lane][4] pairs, b0/b1[lane] pairs
    A = [[0]*16 for _ in range(16)]; B = [[0]*8 for _ in range(16)]
    for t in range(32):
        g, c = t//4, t%4
        A[g][2*c], A[g][2*c+1] = a[t][0]
        A[g+8][2*c], A[g+8][2*c+1] = a[t][1]
        A[g][2*c+8], A[g][2*c+9] = a[t][2]
        A[g+8][2*c+8], A[g+8][2*c+9] = a[t][3]
        B[2*c][g], B[2*c+1][g] = b0[t]
        B[2*c+8][g], B[2*c+9][g] = b1[t]
    for t in range(32):
        g, c = t//4, t%4
        for r in range(4):
            row = g + (r//2)*8; col = 2*c + (r%2)
            acc[t][r] += sum(A[row][k]*B[k][col] for k in range(16))

def run(A_KR, B_KR, K=64):
    M = N = 128
    Am = [[random.randint(-3, 3) for _ in range(K)] for _ in range(M)]
    Bm = [[random.randint(-3, 3) for _ in range(N)] for _ in range(K)]
    # storage
    if A_KR: Ast = [[Am[m][k] for m in range(M)] for k in range(K)]  # [K][M]
    else: Ast = Am                                                 # [M][K]
    if B_KR: Bst = Bm                                              # [K][N]
    else: Bst = [[Bm[k][n] for k in range(K)] for n in range(N)]   # [N][K]
    acc = [[[[0]*4 for _ in range(32)] for ni in range(4)] for mi in range(4)]  # per warp later
    accs = {}
    for warp in range(8):
        accs[warp] = [[[[0]*4 for _ in range(4)] for _ in range(4)] for _ in range(32)]  # [lane][mi][ni][r]
    for kt in range(K//32):
        k0 = kt*32
        sa = [None]*(128*32); sb = [None]*(128*32)
        for tid in range(256):
            for i in range(2):
                q = tid + i*256
                if not A_KR:
                    row, ch = q >> 2, q & 3
                    for e in range(8): sa[swz32(row, ch)+e] = Ast[row][k0+ch*8+e]
                else:
                    row, ch = q >> 4, q & 15
                    for e in range(8): sa[swz128(row, ch)+e] = Ast[k0+row][ch*8+e]
                if not B_KR:
                    row, ch = q >> 2, q & 3
                    for e in range(8): sb[swz32(row, ch)+e] = Bst[row][k0+ch*8+e]
                else:
                    row, ch = q >> 4, q & 15
                    for e in range(8): sb[swz128(row, ch)+e] = Bst[k0+row][ch*8+e]
        assert None not in sa and None not in sb
        for warp in range(8):
            wm, wn = warp >> 2, warp & 3
            for kk in (0, 16):
                af = []
                for mi in range(4):
                    mb = wm*64 + mi*16
                    if not A_KR:
                        addrs = [swz32(mb + (l & 15), (kk >> 3) + (l >> 4)) for l in range(32)]
                        af.append(ldsm(sa, addrs, False))
                    else:
                        addrs = [swz128(kk + (l & 7) + ((l >> 4) << 3), (mb >> 3) + ((l >> 3) & 1)) for l in range(32)]
                        af.append(ldsm(sa, addrs, True))
                bf = []
                for p in range(2):
                    nb = wn*32 + p*16
                    if not B_KR:
                        addrs = [swz32(nb + (l & 7) + ((l >> 4) << 3), (kk >> 3) + ((l >> 3) & 1)) for l in range(32)]
                        bf.append(ldsm(sb, addrs, False))
                    else:
                        addrs = [swz128(kk + (l & 15), (nb >> 3) + (l >> 4)) for l in range(32)]
                        bf.append(ldsm(sb, addrs, True))
                for mi in range(4):
                    for ni in range(4):
                        a = [af[mi][t] for t in range(32)]
                        b0 = [bf[ni >> 1][t][(ni & 1)*2] for t in range(32)]
                        b1 = [bf[ni >> 1][t][(ni & 1)*2+1] for t in range(32)]
                        tmp = [accs[warp][t][mi][ni] for t in range(32)]
                        mma(tmp, a, b0, b1)
    # epilogue mapping
    bad = 0
    for warp in range(8):
        wm, wn = warp >> 2, warp & 3
        for t in range(32):
            for mi in range(4):
                for ni in range(4):
                    for r in range(4):
                        row = wm*64 + mi*16 + (t >> 2) + (r >> 1)*8
                        col = wn*32 + ni*8 + (t & 3)*2 + (r & 1)
                        want = sum(Am[row][k]*Bm[k][col] for k in range(K))
                        if accs[warp][t][mi][ni][r] != want: bad += 1
    print("A_KR", A_KR, "B_KR", B_KR, "mismatches", bad)
    assert bad == 0, "gemm mapping broken"

random.seed(1)
for a_kr, b_kr in ((False, False), (False, True), (True, True)):
    run(a_kr, b_kr)
