// igpg_native: optional Node-API addon that runs OpenBLAS sgemm (and a few fused
// kernels) directly on the memory of the tfjs wasm backend.
//
// Every function takes `heap`, a Float32Array view over the whole wasm Memory (no
// copy: the wasm heap is a (Shared)ArrayBuffer that native code can address), and
// offsets into it counted in float32 elements. JS (packages/core/src/backend/native.ts)
// checks shapes and bounds; this file only checks argument types.
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

extern void openblas_set_num_threads(int);

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "igpg_native: " #call " failed"); return NULL; } } while (0)

static float* heap_ptr(napi_env env, napi_value v, size_t* len) {
  napi_typedarray_type type; size_t length; void* data; napi_value ab; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, NULL, "igpg_native: heap must be a Float32Array");
    return NULL;
  }
  *len = length;
  return (float*)data;
}

static int64_t get_i64(napi_env env, napi_value v) { int64_t x = 0; napi_get_value_int64(env, v, &x); return x; }
static double get_f64(napi_env env, napi_value v) { double x = 0; napi_get_value_double(env, v, &x); return x; }
static bool get_bool(napi_env env, napi_value v) { bool x = false; napi_get_value_bool(env, v, &x); return x; }

// ---- sgemm on fixed output tiles, shared by a pool of threads ----
//
// OpenBLAS rounds differently with another thread count (its threads split the work in
// places whose summation order shows in the bits; in 268 of 756 shapes tried here, 1 vs 2
// threads). So OpenBLAS always runs one thread, and the addon parallelises itself: the
// output C (batch × M × N) is cut into tiles whose shape is a function of (M, N, batch)
// alone, and every tile is one single-threaded cblas_sgemm over the full K. An element's
// value then depends only on the shape, never on how many threads there are, which thread
// took its tile, or when: threads claim tiles from a shared counter, so a thread the
// scheduler delays (a loaded machine) just takes fewer.

#define TILE_M 128       // rows of a tile (issue 13: fixed 128 × 256 output tiles)
#define TILE_N 256       // columns of a tile
#define TILE_MIN 64      // tiles are halved down to this, while a product has fewer than TILES_WANTED
#define TILES_WANTED 8   // enough tiles for 2-8 threads (dW = Xᵀ·dY in a d = 128 GPT is one 128 × 128 tile otherwise)
#define PARALLEL_MIN_FMA (1 << 21)  // below ~20 µs of work, waking the pool costs more than it saves
#define MAX_THREADS 64

typedef struct {
  const float *A, *B; float* C; bool ta, tb; int M, N, K; int64_t sA, sB, sC, batch; float beta;
} gemm_job;

typedef struct {
  const gemm_job* g; int tm, tn, tilesM, tilesN; int64_t units;
  _Atomic int64_t next;  // the next unit (batch, tile) not yet claimed
  bool spin;             // a job of a stream of small ones (the native decode): workers and caller spin between them
} tiled_job;

static int cdiv(int a, int b) { return (a + b - 1) / b; }
static int half16(int t) { return ((t / 2 + 15) / 16) * 16; }  // half a tile, kept a multiple of the 16-float vector

// The tile shape of an (M, N) product with `batch` matrices: 128 × 256 (clamped to the
// matrix), the larger side halved while there are fewer than TILES_WANTED tiles in all.
static void plan_tiles(int M, int N, int64_t batch, int* tm, int* tn) {
  *tm = M < TILE_M ? M : TILE_M; *tn = N < TILE_N ? N : TILE_N;
  while (batch * cdiv(M, *tm) * cdiv(N, *tn) < TILES_WANTED) {
    if (*tn >= *tm && half16(*tn) >= TILE_MIN && half16(*tn) < *tn) *tn = half16(*tn);
    else if (half16(*tm) >= TILE_MIN && half16(*tm) < *tm) *tm = half16(*tm);
    else break;
  }
}

// One unit: tile (i, j) of matrix b. A is (M, K) row-major, or (K, M) when ta; B is (K, N), or (N, K) when tb.
static void run_unit(const tiled_job* j, int64_t u) {
  const gemm_job* g = j->g;
  int64_t b = u / ((int64_t)j->tilesM * j->tilesN); int t = (int)(u % ((int64_t)j->tilesM * j->tilesN));
  int i0 = (t / j->tilesN) * j->tm, j0 = (t % j->tilesN) * j->tn;
  int m = g->M - i0 < j->tm ? g->M - i0 : j->tm, n = g->N - j0 < j->tn ? g->N - j0 : j->tn;
  int lda = g->ta ? g->M : g->K, ldb = g->tb ? g->K : g->N;
  const float* A = g->A + b * g->sA + (g->ta ? i0 : (int64_t)i0 * lda);
  const float* B = g->B + b * g->sB + (g->tb ? (int64_t)j0 * ldb : j0);
  float* C = g->C + b * g->sC + (int64_t)i0 * g->N + j0;
  cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
              m, n, g->K, 1.0f, A, lda, B, ldb, g->beta, C, g->N);
}

static void run_units(tiled_job* j) {
  for (int64_t u; (u = atomic_fetch_add(&j->next, 1)) < j->units;) run_unit(j, u);
}

// The pool: workers sleep on `wake` (the cores are shared: no spinning while idle); after a job marked `spin`, a
// worker first spins a little (SPIN_PAUSES) for the next one. It takes a reference to the posted job, claims units until
// none are left, and drops the reference. The caller works too, then waits until no worker holds a reference. The
// native decode posts a job every ~10-30 µs (one per sgemm of a chunk step or a depth level), too often to pay a
// futex wake and the scheduler's latency for each: a spinning worker joins within a microsecond.
#define SPIN_PAUSES 4096  // ~50-100 µs of pause instructions before a worker sleeps
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  __asm__ volatile("" ::: "memory");
#endif
}

static struct {
  pthread_mutex_t mu; pthread_cond_t wake, idle;
  tiled_job* job; _Atomic uint64_t gen; _Atomic int refs; int workers, sleeping;
  _Atomic int threads;  // set by setThreads, read by callers and workers
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 1 };
// Held by the one caller using the pool; another caller (a Node worker thread) runs its tiles itself.
static pthread_mutex_t pool_user = PTHREAD_MUTEX_INITIALIZER;

static void* pool_worker(void* arg) {
  int index = (int)(intptr_t)arg; uint64_t seen = 0; bool spin = false;
  for (;;) {
    for (int s = 0; spin && s < SPIN_PAUSES && atomic_load(&pool.gen) == seen; s++) cpu_relax();
    pthread_mutex_lock(&pool.mu);
    while (pool.gen == seen) { pool.sleeping++; pthread_cond_wait(&pool.wake, &pool.mu); pool.sleeping--; }
    seen = pool.gen;
    tiled_job* j = pool.job;
    if (j == NULL || index >= pool.threads - 1) { pthread_mutex_unlock(&pool.mu); continue; }  // late, or not needed
    pool.refs++;
    spin = j->spin;
    pthread_mutex_unlock(&pool.mu);
    run_units(j);
    pthread_mutex_lock(&pool.mu);
    if (--pool.refs == 0) pthread_cond_signal(&pool.idle);
    pthread_mutex_unlock(&pool.mu);
  }
  return NULL;
}

// Run a job's units on the caller and the pool; a product under `min_fma` multiply-adds runs on the caller alone.
static void run_tiled(tiled_job* j, int64_t fma, int64_t min_fma) {
  int threads = pool.threads;
  if (threads < 2 || j->units < 2 || fma < min_fma || pthread_mutex_trylock(&pool_user) != 0) { run_units(j); return; }
  pthread_mutex_lock(&pool.mu);
  while (pool.workers < threads - 1) {  // started on first use, kept for the life of the process
    pthread_t tid; pthread_attr_t attr;
    pthread_attr_init(&attr); pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&tid, &attr, pool_worker, (void*)(intptr_t)pool.workers);
    pthread_attr_destroy(&attr);
    if (failed) break;  // fewer helpers: the tiles are the same, only slower
    pool.workers++;
  }
  pool.job = j; pool.gen++;
  if (pool.sleeping > 0) pthread_cond_broadcast(&pool.wake);  // a spinning worker sees gen change by itself
  pthread_mutex_unlock(&pool.mu);
  run_units(j);
  pthread_mutex_lock(&pool.mu);
  pool.job = NULL;  // every unit is claimed; wait for the workers still computing theirs
  pthread_mutex_unlock(&pool.mu);
  for (int s = 0; j->spin && s < SPIN_PAUSES && atomic_load(&pool.refs) > 0; s++) cpu_relax();
  pthread_mutex_lock(&pool.mu);
  while (pool.refs > 0) pthread_cond_wait(&pool.idle, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
  pthread_mutex_unlock(&pool_user);
}

// C = op(A)·op(B) (+ beta·C) over g's batch, cut into plan_tiles' tiles, each one cblas_sgemm: the one way the addon
// multiplies matrices, for the tfjs kernels (sgemm below) and the native decode alike, so both round the same way.
static void gemm_tiled(const gemm_job* g, int64_t min_fma, bool spin) {
  tiled_job j = { g, 0, 0, 0, 0, 0, 0, spin };
  plan_tiles(g->M, g->N, g->batch, &j.tm, &j.tn);
  j.tilesM = cdiv(g->M, j.tm); j.tilesN = cdiv(g->N, j.tn);
  j.units = g->batch * j.tilesM * j.tilesN;
  run_tiled(&j, g->batch * g->M * g->N * (int64_t)(g->K > 0 ? g->K : 1), min_fma);
}

// sgemm(heap, transA, transB, M, N, K, aOff, bOff, cOff, batch, strideA, strideB, strideC, beta)
// C[b] = op(A[b]) · op(B[b]) (+ beta·C[b]), row-major, A (M,K) or (K,M) if transA, B (K,N) or (N,K) if transB.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 14; napi_value a[14];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 13) { napi_throw_error(env, NULL, "igpg_native.sgemm: expected 13-14 arguments"); return NULL; }
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
  bool ta, tb; napi_get_value_bool(env, a[1], &ta); napi_get_value_bool(env, a[2], &tb);
  gemm_job g = { heap + get_i64(env, a[6]), heap + get_i64(env, a[7]), heap + get_i64(env, a[8]), ta, tb,
                 (int)get_i64(env, a[3]), (int)get_i64(env, a[4]), (int)get_i64(env, a[5]),
                 get_i64(env, a[10]), get_i64(env, a[11]), get_i64(env, a[12]), get_i64(env, a[9]),
                 argc > 13 ? (float)get_f64(env, a[13]) : 0.0f };
  if (g.M <= 0 || g.N <= 0 || g.batch <= 0) return NULL;
  gemm_tiled(&g, PARALLEL_MIN_FMA, false);
  return NULL;
}

// sgemmTiles(M, N, batch) -> [tileRows, tileCols]: the tiles sgemm cuts C into (for tests and the bench).
static napi_value SgemmTiles(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 3) { napi_throw_error(env, NULL, "igpg_native.sgemmTiles: expected 3 arguments"); return NULL; }
  int tm, tn; plan_tiles((int)get_i64(env, a[0]), (int)get_i64(env, a[1]), get_i64(env, a[2]), &tm, &tn);
  napi_value r, x, y;
  CHECK(napi_create_array_with_length(env, 2, &r));
  CHECK(napi_create_int32(env, tm, &x)); CHECK(napi_create_int32(env, tn, &y));
  CHECK(napi_set_element(env, r, 0, x)); CHECK(napi_set_element(env, r, 1, y));
  return r;
}

// setThreads(n): threads sgemm uses (the caller and n − 1 pool workers); OpenBLAS itself stays at 1.
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t n = get_i64(env, a[0]);
  if (n < 1 || n > MAX_THREADS) { napi_throw_range_error(env, NULL, "igpg_native.setThreads: threads must be 1-64"); return NULL; }
  pool.threads = (int)n;
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r; CHECK(napi_create_int32(env, pool.threads, &r)); return r;
}

// ---- Elementwise helpers, written so that gcc -O3 -march=native vectorizes the loops ----

// e^x for x in [-87.3, 88.7] (clamped), Cephes-style: 2^n · p(r), |rel err| < 2e-7.
static inline float exp_approx(float x) {
  x = x > 88.7f ? 88.7f : (x < -87.3f ? -87.3f : x);
  float n = __builtin_rintf(x * 1.44269504088896341f);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f; p = p * r + 8.3334519073E-3f; p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f; p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  union { float f; int32_t i; } s; s.i = ((int32_t)n + 127) << 23;
  return p * s.f;
}

// tanh(u) = 1 − 2/(e^{2u} + 1), absolute error < 3e-7.
static inline float tanh_approx(float u) { return 1.0f - 2.0f / (exp_approx(2.0f * u) + 1.0f); }

#define ARGS(n) size_t argc = n; napi_value a[n]; CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL)); \
  if (argc < n) { napi_throw_error(env, NULL, "igpg_native: expected " #n " arguments"); return NULL; } \
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
#define IA(k) get_i64(env, a[k])
#define FA(k) (heap + get_i64(env, a[k]))

// gelu(heap, xOff, yOff, n): tanh-approximation GELU (GPT-2), y = 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
// The bodies of gelu, layerNorm and decodeAttention are shared with the native decode (gptDecodeStep below) and
// kept out of line, so that both run the same machine code and round the same way.
static __attribute__((noinline)) void gelu_n(const float* restrict x, float* restrict y, int64_t n) {
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; i++) { float v = x[i]; y[i] = 0.5f * v * (1.0f + tanh_approx(c * (v + 0.044715f * v * v * v))); }
}

static napi_value Gelu(napi_env env, napi_callback_info info) {
  ARGS(4);
  gelu_n(FA(1), FA(2), IA(3));
  return NULL;
}

// geluGrad(heap, xOff, dyOff, dxOff, n): dx = dy · d gelu(x)/dx.
static napi_value GeluGrad(napi_env env, napi_callback_info info) {
  ARGS(5);
  const float* restrict x = FA(1); const float* restrict dy = FA(2); float* restrict dx = FA(3); int64_t n = IA(4);
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i], t = tanh_approx(c * (v + 0.044715f * v * v * v));
    float du = c * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
  return NULL;
}

// layerNorm(heap, x, g, b, y, mean, rstd, rows, d, eps): per row of width d.
static __attribute__((noinline)) void layer_norm_rows(const float* x, const float* g, const float* b, float* y, float* mean, float* rstd,
                                                      int64_t rows, int64_t d, float eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float* restrict xr = x + r * d; float* restrict yr = y + r * d;
    float s = 0;
    _Pragma("omp simd reduction(+:s)") for (int64_t j = 0; j < d; j++) s += xr[j];
    float mu = s / d, v = 0;
    _Pragma("omp simd reduction(+:v)") for (int64_t j = 0; j < d; j++) { float c = xr[j] - mu; v += c * c; }
    float rs = 1.0f / sqrtf(v / d + eps);
    mean[r] = mu; rstd[r] = rs;
    for (int64_t j = 0; j < d; j++) yr[j] = (xr[j] - mu) * rs * g[j] + b[j];
  }
}

static napi_value LayerNorm(napi_env env, napi_callback_info info) {
  ARGS(10);
  layer_norm_rows(FA(1), FA(2), FA(3), FA(4), FA(5), FA(6), IA(7), IA(8), (float)get_f64(env, a[9]));
  return NULL;
}

// layerNormGrad(heap, x, g, mean, rstd, dy, dx, dg, db, rows, d).
static napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  ARGS(11);
  const float* x = FA(1); const float* g = FA(2); const float* mean = FA(3); const float* rstd = FA(4); const float* dy = FA(5);
  float* dx = FA(6); float* restrict dg = FA(7); float* restrict db = FA(8); int64_t rows = IA(9), d = IA(10);
  for (int64_t j = 0; j < d; j++) { dg[j] = 0; db[j] = 0; }
  for (int64_t r = 0; r < rows; r++) {
    const float* restrict xr = x + r * d; const float* restrict dyr = dy + r * d; float* restrict dxr = dx + r * d;
    float mu = mean[r], rs = rstd[r], sumDyG = 0, sumDyGXhat = 0;
    _Pragma("omp simd reduction(+:sumDyG, sumDyGXhat)") for (int64_t j = 0; j < d; j++) {
      float xhat = (xr[j] - mu) * rs, dyj = dyr[j], dyg = dyj * g[j];
      sumDyG += dyg; sumDyGXhat += dyg * xhat;
      dg[j] += dyj * xhat; db[j] += dyj;
    }
    float ca = sumDyG / d, cc = sumDyGXhat / d;
    for (int64_t j = 0; j < d; j++) { float xhat = (xr[j] - mu) * rs; dxr[j] = rs * (dyr[j] * g[j] - ca - xhat * cc); }
  }
  return NULL;
}

// causalSoftmax(heap, x, y, mats, t, T, offset): row i of each (t, T) matrix sees keys 0..offset+i.
static napi_value CausalSoftmax(napi_env env, napi_callback_info info) {
  ARGS(7);
  const float* x = FA(1); float* y = FA(2); int64_t mats = IA(3), t = IA(4), T = IA(5), offset = IA(6);
  for (int64_t m = 0; m < mats; m++) for (int64_t i = 0; i < t; i++) {
    const float* restrict xr = x + (m * t + i) * T; float* restrict yr = y + (m * t + i) * T;
    int64_t n = offset + i + 1 < T ? offset + i + 1 : T;
    float mx = -INFINITY;
    _Pragma("omp simd reduction(max:mx)") for (int64_t j = 0; j < n; j++) mx = xr[j] > mx ? xr[j] : mx;
    float s = 0;
    _Pragma("omp simd reduction(+:s)") for (int64_t j = 0; j < n; j++) { float e = exp_approx(xr[j] - mx); yr[j] = e; s += e; }
    float inv = 1.0f / s;
    for (int64_t j = 0; j < n; j++) yr[j] *= inv;
    for (int64_t j = n; j < T; j++) yr[j] = 0;
  }
  return NULL;
}

// causalSoftmaxGrad(heap, y, dy, dx, mats, t, T, offset): dx = y·(dy − Σ dy·y).
static napi_value CausalSoftmaxGrad(napi_env env, napi_callback_info info) {
  ARGS(8);
  const float* y = FA(1); const float* dy = FA(2); float* dx = FA(3); int64_t mats = IA(4), t = IA(5), T = IA(6), offset = IA(7);
  for (int64_t m = 0; m < mats; m++) for (int64_t i = 0; i < t; i++) {
    int64_t o = (m * t + i) * T, n = offset + i + 1 < T ? offset + i + 1 : T;
    const float* restrict yr = y + o; const float* restrict dyr = dy + o; float* restrict dxr = dx + o;
    float s = 0;
    _Pragma("omp simd reduction(+:s)") for (int64_t j = 0; j < n; j++) s += dyr[j] * yr[j];
    for (int64_t j = 0; j < n; j++) dxr[j] = yr[j] * (dyr[j] - s);
    for (int64_t j = n; j < T; j++) dxr[j] = 0;
  }
  return NULL;
}

// decodeAttention(heap, qkv, kbuf, vbuf, y, B, nh, C, hs, pos): one new token per sequence attends over a KV cache.
// qkv (B, 3·nh·hs) = [q (pre-scaled) | k | v]; kbuf, vbuf (B, nh, C, hs) get k and v at row pos (in place);
// y (B, nh·hs) = softmax(q·K[0..pos]ᵀ)·V[0..pos] per head.
static __attribute__((noinline)) void decode_attention(const float* qkv, float* kbuf, float* vbuf, float* y,
                                                       int64_t B, int64_t nh, int64_t C, int64_t hs, int64_t pos) {
  int64_t d = nh * hs;
  float p[pos + 1];
  for (int64_t b = 0; b < B; b++) for (int64_t h = 0; h < nh; h++) {
    const float* restrict q = qkv + b * 3 * d + h * hs;
    float* restrict K = kbuf + (b * nh + h) * C * hs; float* restrict V = vbuf + (b * nh + h) * C * hs;
    for (int64_t j = 0; j < hs; j++) { K[pos * hs + j] = q[d + j]; V[pos * hs + j] = q[2 * d + j]; }
    float mx = -INFINITY;
    for (int64_t t = 0; t <= pos; t++) {
      float sc = 0;
      _Pragma("omp simd reduction(+:sc)") for (int64_t j = 0; j < hs; j++) sc += q[j] * K[t * hs + j];
      p[t] = sc; mx = sc > mx ? sc : mx;
    }
    float sum = 0;
    for (int64_t t = 0; t <= pos; t++) { p[t] = exp_approx(p[t] - mx); sum += p[t]; }
    float inv = 1.0f / sum, *restrict yr = y + b * d + h * hs;
    for (int64_t j = 0; j < hs; j++) yr[j] = 0;
    for (int64_t t = 0; t <= pos; t++) {
      float w = p[t] * inv;
      _Pragma("omp simd") for (int64_t j = 0; j < hs; j++) yr[j] += w * V[t * hs + j];
    }
  }
}

static napi_value DecodeAttention(napi_env env, napi_callback_info info) {
  ARGS(10);
  decode_attention(FA(1), FA(2), FA(3), FA(4), IA(5), IA(6), IA(7), IA(8), IA(9));
  return NULL;
}

// colSum(heap, x, y, rows, cols): y[j] = Σ_r x[r, j] (the gradient of a broadcast bias add).
static napi_value ColSum(napi_env env, napi_callback_info info) {
  ARGS(5);
  const float* x = FA(1); float* restrict y = FA(2); int64_t rows = IA(3), cols = IA(4);
  for (int64_t j = 0; j < cols; j++) y[j] = 0;
  for (int64_t r = 0; r < rows; r++) { const float* restrict xr = x + r * cols; for (int64_t j = 0; j < cols; j++) y[j] += xr[j]; }
  return NULL;
}

// softmaxXent(heap, logits, targets(int32), w, logp, loss, N, V): per row r, logp = logits − logsumexp;
// loss = −Σ_r w[r]·logp[r, targets[r]] (targets outside [0, V) count as zero).
static napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  ARGS(8);
  const float* lg = FA(1); const int32_t* tg = (const int32_t*)FA(2); const float* w = FA(3);
  float* lp = FA(4); float* loss = FA(5); int64_t N = IA(6), V = IA(7);
  double total = 0;
  for (int64_t r = 0; r < N; r++) {
    const float* restrict x = lg + r * V; float* restrict y = lp + r * V;
    float mx = -INFINITY;
    _Pragma("omp simd reduction(max:mx)") for (int64_t j = 0; j < V; j++) mx = x[j] > mx ? x[j] : mx;
    float s = 0;
    _Pragma("omp simd reduction(+:s)") for (int64_t j = 0; j < V; j++) s += exp_approx(x[j] - mx);
    float lz = mx + logf(s);
    for (int64_t j = 0; j < V; j++) y[j] = x[j] - lz;
    int32_t k = tg[r]; if (k >= 0 && k < V) total -= (double)w[r] * y[k];
  }
  loss[0] = (float)total;
  return NULL;
}

// softmaxXentGrad(heap, logp, targets, w, dy(scalar), dlogits, N, V): (softmax − onehot)·w[r]·dy.
static napi_value SoftmaxXentGrad(napi_env env, napi_callback_info info) {
  ARGS(8);
  const float* lp = FA(1); const int32_t* tg = (const int32_t*)FA(2); const float* w = FA(3); float dy = *FA(4);
  float* dl = FA(5); int64_t N = IA(6), V = IA(7);
  for (int64_t r = 0; r < N; r++) {
    const float* restrict y = lp + r * V; float* restrict g = dl + r * V; float s = w[r] * dy;
    for (int64_t j = 0; j < V; j++) g[j] = exp_approx(y[j]) * s;
    int32_t k = tg[r]; if (k >= 0 && k < V) g[k] -= s;
  }
  return NULL;
}

// adam(heap, p, g, m, v, n, lr, beta1, beta2, eps, c1, c2): in-place Adam update as tfjs does it,
// p -= lr · (m/c1) / (√(v/c2) + eps) with c1 = 1 − β1^t and c2 = 1 − β2^t.
static napi_value Adam(napi_env env, napi_callback_info info) {
  ARGS(12);
  float* restrict p = FA(1); const float* restrict g = FA(2); float* restrict m = FA(3); float* restrict v = FA(4); int64_t n = IA(5);
  float lr = (float)get_f64(env, a[6]), b1 = (float)get_f64(env, a[7]), b2 = (float)get_f64(env, a[8]), eps = (float)get_f64(env, a[9]);
  float ic1 = (float)(1.0 / get_f64(env, a[10])), ic2 = (float)(1.0 / get_f64(env, a[11]));
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi; v[i] = vi;
    p[i] -= lr * (mi * ic1) / (sqrtf(vi * ic2) + eps);
  }
  return NULL;
}

// ---- Native decode of the GPT prior (packages/core/src/prior/native_decode.ts) ----
//
// The prior's per-chunk sampling loop without one tfjs kernel dispatch per op: one call runs the trunk's cached
// step for all rows of a chunk, one call the depth head's greedy levels. Each op is the one the tfjs path
// (prior/gpt_decode.ts, GPT.runOne, Prior.levelLogits) runs on the wasm backend with this addon, in the same order
// and through the same functions (cblas_sgemm with the same shapes, layer_norm_rows, gelu_n, decode_attention), so
// the codes come out identical. Weights live in one Float32Array `w`; `plan` (Int32Array) holds the sizes and the
// offsets of each weight in `w`, laid out as the DP_* indices below.
enum { DP_D, DP_NH, DP_L, DP_CTX, DP_LC, DP_CB, DP_H, DP_WPE, DP_IN, DP_DEPTH, DP_LEVEL, DP_W1, DP_B1, DP_W2, DP_B2,
       DP_LNFG, DP_LNFB, DP_HEAD, DP_LAYERS };
enum { DL_LN1G, DL_LN1B, DL_WQKV, DL_BQKV, DL_WO, DL_BO, DL_LN2G, DL_LN2B, DL_WFC, DL_BFC, DL_WPROJ, DL_BPROJ, DL_N };

static void* typed_ptr(napi_env env, napi_value v, napi_typedarray_type want, size_t* len) {
  napi_typedarray_type type; size_t length; void* data; napi_value ab; size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_int32_array ? "igpg_native: expected an Int32Array" : "igpg_native: expected a Float32Array");
    return NULL;
  }
  *len = length;
  return data;
}

// The decode's products are small (rows · n · k of 32k-500k multiply-adds at 4 rows). With `parallel` (the decode
// functions' optional last argument) those from 64k on are shared with the pool, whose worker then spins between
// them; else the caller runs them alone. Either way the tiles are sgemm's, so the bits are too. Off by default: on
// this 2-core machine with other jobs at full load, the spinning worker cost CPU and gained no time (bench/README.md).
#define DECODE_MIN_FMA (1 << 16)
static __thread bool decode_parallel = false;

// y (rows, n) = x (rows, k) · W (k, n) + beta·y, in the tiles the addon's sgemm cuts this product into (the tfjs path's).
static void decode_gemm(const float* x, const float* W, float* y, int rows, int k, int n, float beta) {
  gemm_job g = { x, W, y, false, false, rows, n, k, 0, 0, 0, 1, beta };
  gemm_tiled(&g, decode_parallel ? DECODE_MIN_FMA : INT64_MAX, decode_parallel);
}

// y (rows, n) = x (rows, k) · W (k, n) + bias, as the fused linear kernel does it: rows filled with the bias, sgemm beta 1.
static void linear_bias(const float* x, const float* W, const float* bias, float* y, int rows, int k, int n) {
  for (int r = 0; r < rows; r++) for (int j = 0; j < n; j++) y[r * n + j] = bias[j];
  decode_gemm(x, W, y, rows, k, n, 1.0f);
}

// y (rows, n) = x (rows, k) · W (k, n), as tf.matMul does it (sgemm beta 0).
static void mat_mul(const float* x, const float* W, float* y, int rows, int k, int n) {
  decode_gemm(x, W, y, rows, k, n, 0.0f);
}

// Scratch memory of the decode calls, kept per thread between calls: a malloc and free of ~30 KB per call let glibc
// trim and regrow its heap, and the page faults of that cost ~13% of the decode (perf, 1M-parameter MLP).
static __thread float* scratch_buf = NULL;
static __thread size_t scratch_cap = 0;
static float* scratch(size_t floats) {
  if (floats > scratch_cap) {
    float* p = realloc(scratch_buf, sizeof(float) * floats);
    if (!p) return NULL;
    scratch_buf = p; scratch_cap = floats;
  }
  return scratch_buf;
}

// gptDecodeStep(w, plan, kv, prev, pos, posOff, h, rows, p0): one chunk step of the trunk for `rows` sequences whose
// KV cache kv (per layer: keys then values, each (rows, nh, ctx, hs)) holds p0 positions. prev (rows·l) holds the
// previous chunk's codes; the input is Σ_k inEmbed[k·C + prev_k] + pos[posOff ..] (Prior.chunkInputs), and
// h (rows, d) gets the trunk's output features (GPT.runOne + the final LayerNorm and head).
static napi_value GptDecodeStep(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value a[10]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) { napi_throw_error(env, NULL, "igpg_native.gptDecodeStep: expected 9-10 arguments"); return NULL; }
  decode_parallel = argc > 9 && get_bool(env, a[9]);
  const float* w = typed_ptr(env, a[0], napi_float32_array, &n); if (!w) return NULL;
  const int32_t* P = typed_ptr(env, a[1], napi_int32_array, &n); if (!P) return NULL;
  float* kv = typed_ptr(env, a[2], napi_float32_array, &n); if (!kv) return NULL;
  const int32_t* prev = typed_ptr(env, a[3], napi_int32_array, &n); if (!prev) return NULL;
  const float* pos = typed_ptr(env, a[4], napi_float32_array, &n); if (!pos) return NULL;
  int64_t posOff = get_i64(env, a[5]);
  float* h = typed_ptr(env, a[6], napi_float32_array, &n); if (!h) return NULL;
  int rows = (int)get_i64(env, a[7]); int64_t p0 = get_i64(env, a[8]);
  const int d = P[DP_D], nh = P[DP_NH], L = P[DP_L], ctx = P[DP_CTX], Lc = P[DP_LC], CB = P[DP_CB], f4 = 4 * d, hs = d / nh;
  const int64_t S = (int64_t)rows * nh * ctx * hs;
  float* buf = scratch((size_t)rows * (4 * d + 3 * d + 2 * f4 + 2));
  if (!buf) { napi_throw_error(env, NULL, "igpg_native.gptDecodeStep: out of memory"); return NULL; }
  float *x = buf, *an = x + rows * d, *y = an + rows * d, *t = y + rows * d, *qkv = t + rows * d, *f = qkv + rows * 3 * d,
        *g = f + rows * f4, *mean = g + rows * f4, *rstd = mean + rows;
  (void)rstd;
  // chunk input, as tf.sum over the level axis (sequential from 0) + the position row, then + wpe[p0]
  for (int r = 0; r < rows; r++) {
    float* xr = x + r * d;
    for (int j = 0; j < d; j++) xr[j] = 0.0f;
    for (int k = 0; k < Lc; k++) {
      int c = prev[r * Lc + k]; const float* e = w + P[DP_IN] + ((int64_t)k * CB + (c < 0 ? 0 : c)) * d;
      for (int j = 0; j < d; j++) xr[j] += e[j];
    }
    for (int j = 0; j < d; j++) xr[j] = xr[j] + pos[posOff + j];
    for (int j = 0; j < d; j++) xr[j] = xr[j] + w[P[DP_WPE] + p0 * d + j];
  }
  float* hh = x; // the residual stream (rows, d)
  for (int i = 0; i < L; i++) {
    const int32_t* B = P + DP_LAYERS + i * DL_N;
    layer_norm_rows(hh, w + B[DL_LN1G], w + B[DL_LN1B], an, mean, mean + rows, rows, d, 1e-5f);
    linear_bias(an, w + B[DL_WQKV], w + B[DL_BQKV], qkv, rows, d, 3 * d);
    decode_attention(qkv, kv + 2 * i * S, kv + (2 * i + 1) * S, y, rows, nh, ctx, hs, p0);
    linear_bias(y, w + B[DL_WO], w + B[DL_BO], t, rows, d, d);
    for (int64_t j = 0; j < (int64_t)rows * d; j++) hh[j] = hh[j] + t[j];
    layer_norm_rows(hh, w + B[DL_LN2G], w + B[DL_LN2B], an, mean, mean + rows, rows, d, 1e-5f);
    linear_bias(an, w + B[DL_WFC], w + B[DL_BFC], f, rows, d, f4);
    gelu_n(f, g, (int64_t)rows * f4);
    linear_bias(g, w + B[DL_WPROJ], w + B[DL_BPROJ], t, rows, f4, d);
    for (int64_t j = 0; j < (int64_t)rows * d; j++) hh[j] = hh[j] + t[j];
  }
  layer_norm_rows(hh, w + P[DP_LNFG], w + P[DP_LNFB], an, mean, mean + rows, rows, d, 1e-5f);
  mat_mul(an, w + P[DP_HEAD], h, rows, d, d);
  return NULL;
}

// Level k's logits (rows, C) from features h and the chunk's lower-level embeddings acc, as Prior.levelLogits:
// z = (h + acc) + level[k]; logits = gelu(z·W1 + b1)·W2 + b2. `s` is scratch of rows·(d + 2H) floats.
static void depth_logits(const float* w, const int32_t* P, const float* h, const float* acc, float* logits, float* s, int rows, int k) {
  const int d = P[DP_D], H = P[DP_H], CB = P[DP_CB];
  float *z = s, *u = z + rows * d, *g = u + rows * H;
  const float* lv = w + P[DP_LEVEL] + (int64_t)k * d;
  for (int r = 0; r < rows; r++) for (int j = 0; j < d; j++) { float v = h[r * d + j] + acc[r * d + j]; z[r * d + j] = v + lv[j]; }
  mat_mul(z, w + P[DP_W1], u, rows, d, H);
  const float* b1 = w + P[DP_B1];
  for (int r = 0; r < rows; r++) for (int j = 0; j < H; j++) u[r * H + j] = u[r * H + j] + b1[j];
  gelu_n(u, g, (int64_t)rows * H);
  mat_mul(g, w + P[DP_W2], logits, rows, H, CB);
  const float* b2 = w + P[DP_B2];
  for (int r = 0; r < rows; r++) for (int j = 0; j < CB; j++) logits[r * CB + j] = logits[r * CB + j] + b2[j];
}

// acc[r] += depthEmbed[k·C + codes[r]] (Prior.levelEmbedding, then tf.add).
static void depth_push(const float* w, const int32_t* P, float* acc, const int32_t* codes, int rows, int k) {
  const int d = P[DP_D], CB = P[DP_CB];
  for (int r = 0; r < rows; r++) {
    const float* e = w + P[DP_DEPTH] + ((int64_t)k * CB + codes[r]) * d;
    for (int j = 0; j < d; j++) acc[r * d + j] = acc[r * d + j] + e[j];
  }
}

// depthLogits(w, plan, h, acc, logits, rows, k): level k's logits (rows, C), for the sampler (JS).
static napi_value DepthLogits(napi_env env, napi_callback_info info) {
  size_t argc = 8; napi_value a[8]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 7) { napi_throw_error(env, NULL, "igpg_native.depthLogits: expected 7-8 arguments"); return NULL; }
  decode_parallel = argc > 7 && get_bool(env, a[7]);
  const float* w = typed_ptr(env, a[0], napi_float32_array, &n); if (!w) return NULL;
  const int32_t* P = typed_ptr(env, a[1], napi_int32_array, &n); if (!P) return NULL;
  const float* h = typed_ptr(env, a[2], napi_float32_array, &n); if (!h) return NULL;
  const float* acc = typed_ptr(env, a[3], napi_float32_array, &n); if (!acc) return NULL;
  float* logits = typed_ptr(env, a[4], napi_float32_array, &n); if (!logits) return NULL;
  int rows = (int)get_i64(env, a[5]), k = (int)get_i64(env, a[6]);
  float* s = scratch((size_t)rows * (P[DP_D] + 2 * P[DP_H]));
  if (!s) { napi_throw_error(env, NULL, "igpg_native.depthLogits: out of memory"); return NULL; }
  depth_logits(w, P, h, acc, logits, s, rows, k);
  return NULL;
}

// depthPush(w, plan, acc, codes, rows, k): add level k's code embeddings to acc.
static napi_value DepthPush(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value a[6]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 6) { napi_throw_error(env, NULL, "igpg_native.depthPush: expected 6 arguments"); return NULL; }
  const float* w = typed_ptr(env, a[0], napi_float32_array, &n); if (!w) return NULL;
  const int32_t* P = typed_ptr(env, a[1], napi_int32_array, &n); if (!P) return NULL;
  float* acc = typed_ptr(env, a[2], napi_float32_array, &n); if (!acc) return NULL;
  const int32_t* codes = typed_ptr(env, a[3], napi_int32_array, &n); if (!codes) return NULL;
  depth_push(w, P, acc, codes, (int)get_i64(env, a[4]), (int)get_i64(env, a[5]));
  return NULL;
}

// depthGreedy(w, plan, h, acc, out, rows, n, k0, k1, guidance): levels [k0, k1) of a chunk, each the most likely code
// (the first on ties, as sampler.argmax). rows is n (one row per sequence) or 2n (classifier-free guidance: rows
// [n, 2n) unconditioned, logits mixed as u + guidance·(c − u) in double, as autoregress.ts does). out (n·l) gets
// code k of sequence b at b·l + k.
static napi_value DepthGreedy(napi_env env, napi_callback_info info) {
  size_t argc = 11; napi_value a[11]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 10) { napi_throw_error(env, NULL, "igpg_native.depthGreedy: expected 10-11 arguments"); return NULL; }
  decode_parallel = argc > 10 && get_bool(env, a[10]);
  const float* w = typed_ptr(env, a[0], napi_float32_array, &n); if (!w) return NULL;
  const int32_t* P = typed_ptr(env, a[1], napi_int32_array, &n); if (!P) return NULL;
  const float* h = typed_ptr(env, a[2], napi_float32_array, &n); if (!h) return NULL;
  float* acc = typed_ptr(env, a[3], napi_float32_array, &n); if (!acc) return NULL;
  int32_t* out = typed_ptr(env, a[4], napi_int32_array, &n); if (!out) return NULL;
  int rows = (int)get_i64(env, a[5]), ns = (int)get_i64(env, a[6]), k0 = (int)get_i64(env, a[7]), k1 = (int)get_i64(env, a[8]);
  double guidance = get_f64(env, a[9]);
  const int CB = P[DP_CB], Lc = P[DP_LC];
  const size_t floats = (size_t)rows * (P[DP_D] + 2 * P[DP_H] + CB) + CB;
  float* s = scratch(floats + rows);
  if (!s) { napi_throw_error(env, NULL, "igpg_native.depthGreedy: out of memory"); return NULL; }
  float *logits = s + (size_t)rows * (P[DP_D] + 2 * P[DP_H]), *mixed = logits + (size_t)rows * CB;
  int32_t* picked = (int32_t*)(s + floats);
  for (int k = k0; k < k1; k++) {
    depth_logits(w, P, h, acc, logits, s, rows, k);
    for (int b = 0; b < ns; b++) {
      const float* row = logits + (size_t)b * CB;
      if (rows != ns) {
        const float* un = logits + (size_t)(ns + b) * CB;
        for (int v = 0; v < CB; v++) mixed[v] = (float)((double)un[v] + guidance * ((double)row[v] - (double)un[v]));
        row = mixed;
      }
      int best = 0;
      for (int v = 1; v < CB; v++) if (row[v] > row[best]) best = v;
      out[b * Lc + k] = best;
      picked[b] = best;
      if (rows != ns) picked[ns + b] = best;
    }
    depth_push(w, P, acc, picked, rows, k);
  }
  return NULL;
}

// residualQuantize(heap, z, codebooks, kinds, perKind, total, idx, M, C, D): residual VQ encode (vqvae/quantizer-
// residual.ts) in one call. codebooks (Int32Array, L offsets) hold L codebooks (C, D); z (M, D). Level k takes for each
// row of the residual r (r = z at level 0) the nearest code by ||e||² − 2·r·e (||r||² is the same for every code),
// the first on ties, among codes [kinds[m]·perKind, +perKind) when kinds >= 0 (an int32 offset; per-kind codebooks),
// else all C; then r −= e[code]. idx (int32, M·L) gets row m's level-k code at m·L + k; total = z − r (the sum of the
// row's code vectors, as the tfjs composition computes it). One tiled sgemm per level (gemm_tiled): the bits do not
// depend on the thread count.
static napi_value ResidualQuantize(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value a[10]; size_t n, L;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 10) { napi_throw_error(env, NULL, "igpg_native.residualQuantize: expected 10 arguments"); return NULL; }
  float* heap = heap_ptr(env, a[0], &n); if (!heap) return NULL;
  const int32_t* eo = typed_ptr(env, a[2], napi_int32_array, &L); if (!eo) return NULL;
  const int64_t zo = get_i64(env, a[1]), ko = get_i64(env, a[3]), to = get_i64(env, a[5]), io = get_i64(env, a[6]);
  const int perKind = (int)get_i64(env, a[4]), M = (int)get_i64(env, a[7]), C = (int)get_i64(env, a[8]), D = (int)get_i64(env, a[9]);
  const float* z = heap + zo; float* total = heap + to;
  int32_t* idx = (int32_t*)(heap + io);
  const int32_t* kinds = ko >= 0 ? (const int32_t*)(heap + ko) : NULL;
  float* s = scratch((size_t)M * D + (size_t)M * C + C);
  if (!s) { napi_throw_error(env, NULL, "igpg_native.residualQuantize: out of memory"); return NULL; }
  float *r = s, *dist = s + (size_t)M * D, *ee = dist + (size_t)M * C;
  for (size_t i = 0; i < (size_t)M * D; i++) r[i] = z[i];
  for (size_t k = 0; k < L; k++) {
    const float* e = heap + eo[k];
    for (int c = 0; c < C; c++) { float q = 0; for (int j = 0; j < D; j++) q += e[(size_t)c * D + j] * e[(size_t)c * D + j]; ee[c] = q; }
    const gemm_job g = { r, e, dist, false, true, M, C, D, 0, 0, 0, 1, 0.0f };
    gemm_tiled(&g, PARALLEL_MIN_FMA, true);  // r·eᵀ (M, C) on sgemm's fixed tiles; spinning: 24 products in a row
    for (int m = 0; m < M; m++) {
      const int c0 = kinds ? kinds[m] * perKind : 0, c1 = kinds ? c0 + perKind : C;
      float* row = dist + (size_t)m * C;
      float bv = INFINITY;
#pragma omp simd reduction(min:bv)
      for (int c = c0; c < c1; c++) { row[c] = ee[c] - 2.0f * row[c]; bv = row[c] < bv ? row[c] : bv; }
      int best = c0;  // the first code at the minimum (all NaN: the first code)
      for (int c = c0; c < c1; c++) if (row[c] == bv) { best = c; break; }
      idx[(size_t)m * L + k] = best;
      const float* eb = e + (size_t)best * D;
      for (int j = 0; j < D; j++) r[(size_t)m * D + j] = r[(size_t)m * D + j] - eb[j];
    }
  }
  for (size_t i = 0; i < (size_t)M * D; i++) total[i] = z[i] - r[i];
  return NULL;
}

// emaLevel(z, next, idx, stride, offset, e, size, avg, decay, eps): one EMA codebook update in place (vqvae/quantizer-
// ema.ts updateOnHost, which runs the same arithmetic in JS: float32 op by op, no fused multiply-adds, sums in row
// order, so the bits agree). z (M, D) rows, row m's code idx[m·stride + offset]; e, avg (C, D) and size (C,) are the
// codebook, its EMA sums and cluster sizes. With next (M, D) (not null), first next = z − e[code] with the codebook
// as it was (the residual quantizer's input to the next level). Dead codes are left to the caller.
__attribute__((optimize("fp-contract=off")))
static napi_value EmaLevel(napi_env env, napi_callback_info info) {
  size_t argc = 10; napi_value a[10]; size_t nz, nn = 0, ni, ne, nc, na;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 10) { napi_throw_error(env, NULL, "igpg_native.emaLevel: expected 10 arguments"); return NULL; }
  const float* z = typed_ptr(env, a[0], napi_float32_array, &nz); if (!z) return NULL;
  napi_valuetype t; CHECK(napi_typeof(env, a[1], &t));
  float* next = NULL;
  if (t != napi_null && t != napi_undefined) { next = typed_ptr(env, a[1], napi_float32_array, &nn); if (!next) return NULL; }
  const int32_t* idx = typed_ptr(env, a[2], napi_int32_array, &ni); if (!idx) return NULL;
  const int64_t stride = get_i64(env, a[3]), offset = get_i64(env, a[4]);
  float* e = typed_ptr(env, a[5], napi_float32_array, &ne); if (!e) return NULL;
  float* size = typed_ptr(env, a[6], napi_float32_array, &nc); if (!size) return NULL;
  float* avg = typed_ptr(env, a[7], napi_float32_array, &na); if (!avg) return NULL;
  const size_t C = nc, D = C ? ne / C : 0, M = D ? nz / D : 0;
  if (!C || ne != C * D || na != ne || nz != M * D || (next && nn != nz) || (M && (size_t)((M - 1) * stride + offset) >= ni)) {
    napi_throw_range_error(env, NULL, "igpg_native.emaLevel: array sizes do not fit"); return NULL;
  }
  const float keep = (float)get_f64(env, a[8]), take = (float)(1 - get_f64(env, a[8]));
  const float eps = (float)get_f64(env, a[9]), ceps = (float)(C * get_f64(env, a[9]));
  float* s = scratch(C * D + C);
  if (!s) { napi_throw_error(env, NULL, "igpg_native.emaLevel: out of memory"); return NULL; }
  float *sums = s, *counts = s + C * D;
  for (size_t i = 0; i < C * D + C; i++) s[i] = 0;
  for (size_t m = 0; m < M; m++) {
    const int32_t c = idx[m * stride + offset];
    if (c < 0 || (size_t)c >= C) { napi_throw_range_error(env, NULL, "igpg_native.emaLevel: a code is outside the codebook"); return NULL; }
    counts[c] += 1;
    const float* zr = z + m * D; float* sr = sums + (size_t)c * D;
    for (size_t j = 0; j < D; j++) sr[j] = sr[j] + zr[j];
    if (next) { const float* ec = e + (size_t)c * D; float* nr = next + m * D; for (size_t j = 0; j < D; j++) nr[j] = zr[j] - ec[j]; }
  }
  double total = 0;
  for (size_t c = 0; c < C; c++) { const float a1 = size[c] * keep, a2 = counts[c] * take; size[c] = a1 + a2; total += size[c]; }
  const float n = (float)total, denom = n + ceps;
  for (size_t c = 0; c < C; c++) {
    const float q = (size[c] + eps) / denom, smoothed = q * n;
    for (size_t j = 0; j < D; j++) {
      const size_t i = c * D + j;
      const float a1 = avg[i] * keep, a2 = sums[i] * take;
      avg[i] = a1 + a2;
      e[i] = avg[i] / smoothed;
    }
  }
  return NULL;
}

// emaRestart(z, dead, rows, e, avg, size, threshold): restart dead codes in place (vqvae/quantizer-ema.ts restart):
// code dead[i] takes row rows[i] of z (M, D): e = z row, avg = z row · threshold, size = threshold.
static napi_value EmaRestart(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value a[7]; size_t nz, nd, nr, ne, na, nc;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 7) { napi_throw_error(env, NULL, "igpg_native.emaRestart: expected 7 arguments"); return NULL; }
  const float* z = typed_ptr(env, a[0], napi_float32_array, &nz); if (!z) return NULL;
  const int32_t* dead = typed_ptr(env, a[1], napi_int32_array, &nd); if (!dead) return NULL;
  const int32_t* rows = typed_ptr(env, a[2], napi_int32_array, &nr); if (!rows) return NULL;
  float* e = typed_ptr(env, a[3], napi_float32_array, &ne); if (!e) return NULL;
  float* avg = typed_ptr(env, a[4], napi_float32_array, &na); if (!avg) return NULL;
  float* size = typed_ptr(env, a[5], napi_float32_array, &nc); if (!size) return NULL;
  const double threshold = get_f64(env, a[6]);
  const size_t C = nc, D = C ? ne / C : 0, M = D ? nz / D : 0;
  if (!C || na != ne || nr < nd) { napi_throw_range_error(env, NULL, "igpg_native.emaRestart: array sizes do not fit"); return NULL; }
  for (size_t i = 0; i < nd; i++) {
    const int32_t c = dead[i], r = rows[i];
    if (c < 0 || (size_t)c >= C || r < 0 || (size_t)r >= M) { napi_throw_range_error(env, NULL, "igpg_native.emaRestart: index out of range"); return NULL; }
    const float* zr = z + (size_t)r * D; float *ec = e + (size_t)c * D, *ac = avg + (size_t)c * D;
    for (size_t j = 0; j < D; j++) { ec[j] = zr[j]; ac[j] = (float)((double)zr[j] * threshold); }
    size[c] = (float)threshold;
  }
  return NULL;
}

// im2col(heap, x, cols, B, H, W, C, k, ones): valid k×k patches, stride 1 (backend/im2col.ts): x (B, H, W, C) -> cols
// (B, H−k+1, W−k+1, k·k·C (+1)), column (fh·k + fw)·C + c, the order of a (k, k, C, out) filter flattened to
// (k·k·C, out); with `ones` a last column of ones (the bias row of the filter).
static napi_value Im2col(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) { napi_throw_error(env, NULL, "igpg_native.im2col: expected 9 arguments"); return NULL; }
  float* heap = heap_ptr(env, a[0], &n); if (!heap) return NULL;
  const float* x = heap + get_i64(env, a[1]); float* cols = heap + get_i64(env, a[2]);
  const int64_t B = get_i64(env, a[3]), H = get_i64(env, a[4]), W = get_i64(env, a[5]), C = get_i64(env, a[6]), k = get_i64(env, a[7]);
  const bool ones = get_bool(env, a[8]);
  const int64_t OH = H - k + 1, OW = W - k + 1, row = k * C, width = k * row + (ones ? 1 : 0);  // a filter row (fw, c): one run of x
  for (int64_t b = 0; b < B; b++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        float* o = cols + ((b * OH + oh) * OW + ow) * width;
        for (int64_t fh = 0; fh < k; fh++) {
          const float* src = x + ((b * H + oh + fh) * W + ow) * C;
          for (int64_t j = 0; j < row; j++) o[fh * row + j] = src[j];
        }
        if (ones) o[k * row] = 1.0f;
      }
  return NULL;
}

// col2im(heap, cols, dx, B, H, W, C, k, ones): the adjoint of im2col, dx = Σ of each patch column back at its pixel,
// summed in a fixed order (patches in row-major order, then fh, fw, c); with `ones` the last column is skipped.
static napi_value Col2im(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) { napi_throw_error(env, NULL, "igpg_native.col2im: expected 9 arguments"); return NULL; }
  float* heap = heap_ptr(env, a[0], &n); if (!heap) return NULL;
  const float* cols = heap + get_i64(env, a[1]); float* dx = heap + get_i64(env, a[2]);
  const int64_t B = get_i64(env, a[3]), H = get_i64(env, a[4]), W = get_i64(env, a[5]), C = get_i64(env, a[6]), k = get_i64(env, a[7]);
  const bool ones = get_bool(env, a[8]);
  const int64_t OH = H - k + 1, OW = W - k + 1, row = k * C, width = k * row + (ones ? 1 : 0);
  for (int64_t i = 0; i < B * H * W * C; i++) dx[i] = 0;
  for (int64_t b = 0; b < B; b++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        const float* o = cols + ((b * OH + oh) * OW + ow) * width;
        for (int64_t fh = 0; fh < k; fh++) {
          float* dst = dx + ((b * H + oh + fh) * W + ow) * C;
          for (int64_t j = 0; j < row; j++) dst[j] = dst[j] + o[fh * row + j];
        }
      }
  return NULL;
}

// maxPool(heap, x, y, arg, B, H, W, C, p): p×p windows, stride p, valid (backend/im2col.ts maxPoolJs: the same values
// and argmax, the first max in window order). arg (an int32 offset) gets each max's flat index into x.
static napi_value MaxPool(napi_env env, napi_callback_info info) {
  size_t argc = 9; napi_value a[9]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 9) { napi_throw_error(env, NULL, "igpg_native.maxPool: expected 9 arguments"); return NULL; }
  float* heap = heap_ptr(env, a[0], &n); if (!heap) return NULL;
  const float* x = heap + get_i64(env, a[1]); float* y = heap + get_i64(env, a[2]); int32_t* arg = (int32_t*)(heap + get_i64(env, a[3]));
  const int64_t B = get_i64(env, a[4]), H = get_i64(env, a[5]), W = get_i64(env, a[6]), C = get_i64(env, a[7]), p = get_i64(env, a[8]);
  const int64_t OH = H / p, OW = W / p;
  for (int64_t b = 0; b < B; b++)
    for (int64_t oh = 0; oh < OH; oh++)
      for (int64_t ow = 0; ow < OW; ow++) {
        float* yo = y + ((b * OH + oh) * OW + ow) * C; int32_t* ao = arg + ((b * OH + oh) * OW + ow) * C;
        const int64_t first = ((b * H + oh * p) * W + ow * p) * C;
        for (int64_t c = 0; c < C; c++) { yo[c] = x[first + c]; ao[c] = (int32_t)(first + c); }
        for (int64_t fh = 0; fh < p; fh++)
          for (int64_t fw = 0; fw < p; fw++) {
            const int64_t base = ((b * H + oh * p + fh) * W + ow * p + fw) * C;
            for (int64_t c = 0; c < C; c++) if (x[base + c] > yo[c]) { yo[c] = x[base + c]; ao[c] = (int32_t)(base + c); }
          }
      }
  return NULL;
}

// tanh(heap, x, y, n): y = tanh(x), Cephes' tanhf (a polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above, with
// exp_approx; within ~2 ulp), vectorised, for wasm's Tanh kernel (kernels/Tanh.ts): the stock one is musl's tanhf
// compiled to wasm, ~20% of a batched CNN-s zoo step. (glibc's tanhf called from here ran at ~65 ns a value.)
static napi_value Tanh(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value a[4]; size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 4) { napi_throw_error(env, NULL, "igpg_native.tanh: expected 4 arguments"); return NULL; }
  float* heap = heap_ptr(env, a[0], &n); if (!heap) return NULL;
  const float* x = heap + get_i64(env, a[1]); float* y = heap + get_i64(env, a[2]);
  const int64_t count = get_i64(env, a[3]);
#pragma omp simd
  for (int64_t i = 0; i < count; i++) {
    const float v = x[i], z = fabsf(v), z2 = v * v;
    const float small = ((((-5.70498872745E-3f * z2 + 2.06390887954E-2f) * z2 - 5.37397155531E-2f) * z2 + 1.33314422036E-1f) * z2 - 3.33332819422E-1f) * z2 * v + v;
    const float big = 1.0f - 2.0f / (exp_approx(z + z) + 1.0f);
    y[i] = z > 0.625f ? (v < 0 ? -big : big) : small;
  }
  return NULL;
}

// clockGhz(): the core's effective clock (turbo included), from a chain of dependent integer
// adds (1 cycle each on every x86-64 core since ~2006); best of 200 runs of 1e6 cycles (~0.3 ms each), so a
// run that the scheduler interrupted does not count.
static napi_value ClockGhz(napi_env env, napi_callback_info info) {
  (void)info;
  double best = 0;
  for (int rep = 0; rep < 200; rep++) {
    struct timespec t0, t1; uint64_t x = 0; const int64_t n = 250000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t i = 0; i < n; i++) {
#if defined(__x86_64__)
      __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
#else
      __asm__ volatile("" : "+r"(x)); x += 4;
#endif
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    double ghz = 4.0 * n / s / 1e9;
    if (ghz > best) best = ghz;
  }
  napi_value r; CHECK(napi_create_double(env, best, &r)); return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);  // the addon's pool parallelises sgemm (see the tiles above)
  napi_property_descriptor props[] = {
    {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"sgemmTiles", NULL, SgemmTiles, NULL, NULL, NULL, napi_default, NULL},
    {"gelu", NULL, Gelu, NULL, NULL, NULL, napi_default, NULL},
    {"geluGrad", NULL, GeluGrad, NULL, NULL, NULL, napi_default, NULL},
    {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
    {"layerNorm", NULL, LayerNorm, NULL, NULL, NULL, napi_default, NULL},
    {"layerNormGrad", NULL, LayerNormGrad, NULL, NULL, NULL, napi_default, NULL},
    {"causalSoftmax", NULL, CausalSoftmax, NULL, NULL, NULL, napi_default, NULL},
    {"causalSoftmaxGrad", NULL, CausalSoftmaxGrad, NULL, NULL, NULL, napi_default, NULL},
    {"clockGhz", NULL, ClockGhz, NULL, NULL, NULL, napi_default, NULL},
    {"colSum", NULL, ColSum, NULL, NULL, NULL, napi_default, NULL},
    {"softmaxXent", NULL, SoftmaxXent, NULL, NULL, NULL, napi_default, NULL},
    {"softmaxXentGrad", NULL, SoftmaxXentGrad, NULL, NULL, NULL, napi_default, NULL},
    {"decodeAttention", NULL, DecodeAttention, NULL, NULL, NULL, napi_default, NULL},
    {"gptDecodeStep", NULL, GptDecodeStep, NULL, NULL, NULL, napi_default, NULL},
    {"depthLogits", NULL, DepthLogits, NULL, NULL, NULL, napi_default, NULL},
    {"depthPush", NULL, DepthPush, NULL, NULL, NULL, napi_default, NULL},
    {"depthGreedy", NULL, DepthGreedy, NULL, NULL, NULL, napi_default, NULL},
    {"residualQuantize", NULL, ResidualQuantize, NULL, NULL, NULL, napi_default, NULL},
    {"emaLevel", NULL, EmaLevel, NULL, NULL, NULL, napi_default, NULL},
    {"emaRestart", NULL, EmaRestart, NULL, NULL, NULL, napi_default, NULL},
    {"im2col", NULL, Im2col, NULL, NULL, NULL, napi_default, NULL},
    {"col2im", NULL, Col2im, NULL, NULL, NULL, napi_default, NULL},
    {"maxPool", NULL, MaxPool, NULL, NULL, NULL, napi_default, NULL},
    {"tanh", NULL, Tanh, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
