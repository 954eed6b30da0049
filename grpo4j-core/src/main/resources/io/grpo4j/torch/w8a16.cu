// W8A16: int8 weight-only matrix product with one scale per output channel, for decode.
//
//   y[m, n] = s[n] * sum_k x[m, k] * q[n, k]  (+ b[n])
//
// x [M, K] and y [M, N] in the activations' type (bf16, f16 or f32: one kernel each), q [N, K] int8
// row-major (a linear layer's weight [out, in]), s [N] and b [N] in the activations' type (b may be
// null). Accumulation and the scale in float32, one rounding at the end.
//
// One warp per output channel n and ROWS rows of x (blockIdx.y picks which ROWS): each lane reads
// 16 weights (16 bytes) at a time, so a warp reads 512 contiguous bytes of the weight row per step
// (coalesced, read once from memory per ROWS rows); the activations, small and shared by every
// warp, come through the L1/L2 caches. The weights are read as int8 and widened in registers: 1
// byte of memory traffic per weight instead of widened copies (1 read + 2 written + 2 read).
//
// Needs K % 16 == 0 and 16-byte aligned x rows and q rows (the caller checks: Int8Kernel). No
// host synchronisation, no allocation: launched on libtorch's current stream, capturable in a
// CUDA graph. Header-free on purpose (NVRTC finds no CUDA headers on some machines): bf16 and f16
// are converted by hand.

typedef unsigned short u16;

struct bf16 { u16 bits; };
struct f16 { u16 bits; };

__device__ __forceinline__ float to_f32(bf16 h) { return __uint_as_float(((unsigned) h.bits) << 16); }
__device__ __forceinline__ float to_f32(f16 h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h.bits));
  return f;
}
__device__ __forceinline__ float to_f32(float f) { return f; }

template <typename T> __device__ __forceinline__ T from_f32(float f);
template <> __device__ __forceinline__ bf16 from_f32<bf16>(float f) {
  unsigned u = __float_as_uint(f);
  bf16 h;
  if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN stays NaN
    h.bits = (u16) ((u >> 16) | 0x40u);
    return h;
  }
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  h.bits = (u16) (u >> 16);
  return h;
}
template <> __device__ __forceinline__ f16 from_f32<f16>(float f) {
  f16 h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h.bits) : "f"(f));
  return h;
}
template <> __device__ __forceinline__ float from_f32<float>(float f) { return f; }

// 16 consecutive activations (16-byte aligned) as floats
__device__ __forceinline__ void load16(const bf16* p, float* v) {
  const uint4* u = reinterpret_cast<const uint4*>(p);
  uint4 a = u[0], b = u[1];
  unsigned w[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
  for (int i = 0; i < 8; i++) {
    v[2 * i] = __uint_as_float(w[i] << 16);
    v[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}
__device__ __forceinline__ void load16(const f16* p, float* v) {
  const uint4* u = reinterpret_cast<const uint4*>(p);
  uint4 a = u[0], b = u[1];
  unsigned w[8] = {a.x, a.y, a.z, a.w, b.x, b.y, b.z, b.w};
#pragma unroll
  for (int i = 0; i < 8; i++) {
    f16 lo, hi;
    lo.bits = (u16) (w[i] & 0xffffu);
    hi.bits = (u16) (w[i] >> 16);
    v[2 * i] = to_f32(lo);
    v[2 * i + 1] = to_f32(hi);
  }
}
__device__ __forceinline__ void load16(const float* p, float* v) {
  const float4* u = reinterpret_cast<const float4*>(p);
#pragma unroll
  for (int i = 0; i < 4; i++) {
    float4 a = u[i];
    v[4 * i] = a.x;
    v[4 * i + 1] = a.y;
    v[4 * i + 2] = a.z;
    v[4 * i + 3] = a.w;
  }
}

template <typename T, int ROWS>
__device__ __forceinline__ void w8a16(const T* __restrict__ x, const signed char* __restrict__ q,
                                      const T* __restrict__ s, const T* __restrict__ b,
                                      T* __restrict__ y, int M, int N, int K) {
  const int lane = threadIdx.x & 31;
  const int n = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  const int m0 = blockIdx.y * ROWS;
  if (n >= N) return;
  float acc[ROWS];
#pragma unroll
  for (int r = 0; r < ROWS; r++) acc[r] = 0.f;
  const signed char* row = q + (size_t) n * K;
  for (int k = lane * 16; k < K; k += 32 * 16) {
    const int4 packed = *reinterpret_cast<const int4*>(row + k);
    const signed char* qb = reinterpret_cast<const signed char*>(&packed);
    float w[16];
#pragma unroll
    for (int j = 0; j < 16; j++) w[j] = (float) qb[j];
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
      if (m0 + r < M) {
        float xv[16];
        load16(x + (size_t) (m0 + r) * K + k, xv);
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < 16; j++) sum = fmaf(w[j], xv[j], sum);
        acc[r] += sum;
      }
    }
  }
#pragma unroll
  for (int r = 0; r < ROWS; r++) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], o);
  }
  if (lane == 0) {
    const float scale = to_f32(s[n]);
    const float bias = b ? to_f32(b[n]) : 0.f;
#pragma unroll
    for (int r = 0; r < ROWS; r++) {
      if (m0 + r < M) y[(size_t) (m0 + r) * N + n] = from_f32<T>(fmaf(acc[r], scale, bias));
    }
  }
}

// extern "C" entry points: w8a16_<type>_r<ROWS>
#define W8A16_ENTRY(NAME, T, ROWS)                                                              \
  extern "C" __global__ void NAME(const T* x, const signed char* q, const T* s, const T* b,    \
                                  T* y, int M, int N, int K) {                                 \
    w8a16<T, ROWS>(x, q, s, b, y, M, N, K);                                                    \
  }

W8A16_ENTRY(w8a16_bf16_r1, bf16, 1)
W8A16_ENTRY(w8a16_bf16_r2, bf16, 2)
W8A16_ENTRY(w8a16_bf16_r4, bf16, 4)
W8A16_ENTRY(w8a16_bf16_r8, bf16, 8)
W8A16_ENTRY(w8a16_f16_r1, f16, 1)
W8A16_ENTRY(w8a16_f16_r2, f16, 2)
W8A16_ENTRY(w8a16_f16_r4, f16, 4)
W8A16_ENTRY(w8a16_f16_r8, f16, 8)
W8A16_ENTRY(w8a16_f32_r1, float, 1)
W8A16_ENTRY(w8a16_f32_r2, float, 2)
W8A16_ENTRY(w8a16_f32_r4, float, 4)
W8A16_ENTRY(w8a16_f32_r8, float, 8)
