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

extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);

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

// sgemm(heap, transA, transB, M, N, K, aOff, bOff, cOff, batch, strideA, strideB, strideC, beta)
// C[b] = op(A[b]) · op(B[b]) (+ beta·C[b]), row-major, A (M,K) or (K,M) if transA, B (K,N) or (N,K) if transB.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 14; napi_value a[14];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc < 13) { napi_throw_error(env, NULL, "igpg_native.sgemm: expected 13-14 arguments"); return NULL; }
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
  bool ta, tb; napi_get_value_bool(env, a[1], &ta); napi_get_value_bool(env, a[2], &tb);
  int64_t M = get_i64(env, a[3]), N = get_i64(env, a[4]), K = get_i64(env, a[5]);
  int64_t aOff = get_i64(env, a[6]), bOff = get_i64(env, a[7]), cOff = get_i64(env, a[8]);
  int64_t batch = get_i64(env, a[9]), sA = get_i64(env, a[10]), sB = get_i64(env, a[11]), sC = get_i64(env, a[12]);
  float beta = argc > 13 ? (float)get_f64(env, a[13]) : 0.0f;
  int lda = ta ? (int)M : (int)K, ldb = tb ? (int)K : (int)N;
  for (int64_t b = 0; b < batch; b++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, 1.0f, heap + aOff + b * sA, lda, heap + bOff + b * sB, ldb,
                beta, heap + cOff + b * sC, (int)N);
  }
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  openblas_set_num_threads((int)get_i64(env, a[0]));
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  napi_value r; CHECK(napi_create_int32(env, openblas_get_num_threads(), &r)); return r;
}

// gelu(heap, xOff, yOff, n): tanh-approximation GELU (GPT-2), y = 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
static napi_value Gelu(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value a[4];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
  const float* x = heap + get_i64(env, a[1]); float* y = heap + get_i64(env, a[2]); int64_t n = get_i64(env, a[3]);
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; i++) { float v = x[i]; y[i] = 0.5f * v * (1.0f + tanhf(c * (v + 0.044715f * v * v * v))); }
  return NULL;
}

// geluGrad(heap, xOff, dyOff, dxOff, n): dx = dy · d gelu(x)/dx.
static napi_value GeluGrad(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value a[5];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
  const float* x = heap + get_i64(env, a[1]); const float* dy = heap + get_i64(env, a[2]);
  float* dx = heap + get_i64(env, a[3]); int64_t n = get_i64(env, a[4]);
  const float c = 0.7978845608028654f;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i], u = c * (v + 0.044715f * v * v * v), t = tanhf(u);
    float du = c * (1.0f + 3.0f * 0.044715f * v * v);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du);
  }
  return NULL;
}

// adam(heap, pOff, gOff, mOff, vOff, n, lr, beta1, beta2, eps, step): in-place Adam update
// (Kingma & Ba 2015, bias-corrected) of parameter p with gradient g and moments m, v.
static napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 11; napi_value a[11];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  size_t len; float* heap = heap_ptr(env, a[0], &len); if (!heap) return NULL;
  float* p = heap + get_i64(env, a[1]); const float* g = heap + get_i64(env, a[2]);
  float* m = heap + get_i64(env, a[3]); float* v = heap + get_i64(env, a[4]); int64_t n = get_i64(env, a[5]);
  double lr = get_f64(env, a[6]), b1 = get_f64(env, a[7]), b2 = get_f64(env, a[8]), eps = get_f64(env, a[9]);
  double step = get_f64(env, a[10]);
  float lrt = (float)(lr * sqrt(1.0 - pow(b2, step)) / (1.0 - pow(b1, step)));
  float fb1 = (float)b1, fb2 = (float)b2, feps = (float)eps;
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = fb1 * m[i] + (1.0f - fb1) * gi;
    float vi = fb2 * v[i] + (1.0f - fb2) * gi * gi;
    m[i] = mi; v[i] = vi;
    p[i] -= lrt * mi / (sqrtf(vi) + feps);
  }
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
    {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_default, NULL},
    {"gelu", NULL, Gelu, NULL, NULL, NULL, napi_default, NULL},
    {"geluGrad", NULL, GeluGrad, NULL, NULL, NULL, napi_default, NULL},
    {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
