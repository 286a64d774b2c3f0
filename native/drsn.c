// The DRSN forward pass in C, one window at a time (engine "native", src/model/engines/native.ts).
//
// Why this exists: with 4-16 channels the net's convolutions are GEMMs too thin for onnxruntime's
// kernels (~20 % of one core's SGEMM rate, BENCHMARKS.md item 17), and a third of its time goes to
// element-wise passes over whole batches. Here every activation of one window fits in L1/L2, the
// convolutions are register-blocked over output channels and time, BatchNorms are folded into the
// convolutions (TS side), and |r| for the threshold is summed while conv2's output is stored.
//
// The TS side (native.ts) builds a plan (int32) and folded parameters (float32) from weights.json;
// this file only trusts them after checking that their sizes add up.
//
// Layout: activations are channel rows of stride S floats; each row keeps MG zero floats on its left
// and at least MG on its right, so convolutions read their padding without branches. A stride-2
// convolution reads its input split into even and odd phases, so every tap is a contiguous load.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

#include "fft.h"

// Vector width (floats), vectors per time tile and output channels per block: compile-time so the
// accumulators stay in registers (-D overrides them for experiments; BENCHMARKS.md item 18).
// VW is the target's own vector width: a wider generic vector is lowered piecewise, element by element
// where the target lacks the operation (-O3 without AVX ran ~25x slower with VW 8).
#ifndef VW
#if defined(__AVX512F__)
#define VW 16
#elif defined(__AVX__)
#define VW 8
#elif defined(__SSE2__) || defined(__ARM_NEON)
#define VW 4 // SSE2 (every x86-64), NEON (every aarch64; armv7 with -mfpu=neon, see native/build.mjs)
#else
#define VW 1 // no SIMD unit the compiler targets (e.g. armv7 with VFP only): plain scalar code
#endif
#endif
#ifndef NV
#define NV 2
#endif
#ifndef CB
#define CB 4
#endif
typedef float vf __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4)));
typedef int32_t vi __attribute__((vector_size(VW * 4)));

#define PLAN_VERSION 2
#define TT (VW * NV) // time steps per tile

enum { VARIANT_CW = 0, VARIANT_CS = 1, VARIANT_PLAIN = 2 };
// Head: global average pooling (the paper's), or the whole last map flattened channel-major into the FC.
enum { HEAD_GAP = 0, HEAD_FLATTEN = 1 };

typedef struct {
  int cin, cout, stride;
  const float *bn1s, *bn1b;      // bn1 as scale/shift [cin]
  const float *w1, *b1;          // conv1 with bn2 folded [cout][cin][3], [cout]
  const float *w2, *b2;          // conv2 [cout][cout][3], [cout]
  const float *f1w, *f1b;        // shrink fc1 with its bn folded [cout][cout], [cout]
  const float *f2w, *f2b;        // shrink fc2 [F][cout], [F] (F = cout, or 1 channel-shared)
} unit_t;

typedef struct {
  int stemC, stemK;
  const float *stemW, *stemB;    // [stemC][stemK], [stemC]
  int nUnits;
  unit_t *units;
  int headC;
  const float *hbs, *hbb;        // head bn scale/shift [headC]
  const float *fcw, *fcb;        // [classes][headC] (flatten: [classes][headC][Lf]), [classes]
} member_t;

typedef struct {
  int L, classes, nMembers, variant, head;
  int Lf;                        // length after the last unit
  member_t *members;
  float *params;                 // owned copy
  int MG, S, maxC;               // margin, row stride, widest layer
  float *X, *Y, *XS, *H0, *H1, *R1, *R2, *in0, *in1; // scratch rows (XS: a strided unit's shortcut)
  float *tmp;                    // small vectors
} net_t;

static inline vf loadv(const float *p) { return *(const vfu *)p; }
static inline void storev(float *p, vf v) { *(vfu *)p = v; }
#if VW == 1
static inline vf reluv(vf v) { return (vf){v[0] > 0 ? v[0] : 0}; } // a 1-lane compare is lowered "piecewise"
#else
static inline vf reluv(vf v) { return (vf)((vi)v & (v > (vf){0})); }
#endif

// One tile: `cb` output channels from co, TT time steps from t. Inlined with constant cb and K so the
// loops unroll and the accumulators live in registers.
static inline __attribute__((always_inline)) void conv_tile(const int cb, const int K, float *out, int S, int MG, int co, int t,
                                                            const float *const *ph, const int *off, int Cin, const float *w,
                                                            const float *b, int relu) {
  vf acc[cb][NV];
  for (int j = 0; j < cb; j++) for (int v = 0; v < NV; v++) acc[j][v] = (vf){0} + b[co + j];
  for (int ci = 0; ci < Cin; ci++) {
    for (int k = 0; k < K; k++) {
      const float *src = ph[k] + ci * S + MG + t + off[k];
      vf x[NV];
      for (int v = 0; v < NV; v++) x[v] = loadv(src + VW * v);
      for (int j = 0; j < cb; j++) {
        const float wv = w[((co + j) * Cin + ci) * K + k];
        for (int v = 0; v < NV; v++) acc[j][v] += wv * x[v];
      }
    }
  }
  for (int j = 0; j < cb; j++) {
    float *dst = out + (co + j) * S + MG + t;
    for (int v = 0; v < NV; v++) storev(dst + VW * v, relu ? reluv(acc[j][v]) : acc[j][v]);
  }
}

static inline __attribute__((always_inline)) void conv_k(const int K, float *out, int S, int MG, int Cout, int Lt,
                                                         const float *const *ph, const int *off, int Cin, const float *w,
                                                         const float *b, int relu) {
  int co = 0;
  for (; co + CB <= Cout; co += CB)
    for (int t = 0; t < Lt; t += TT) conv_tile(CB, K, out, S, MG, co, t, ph, off, Cin, w, b, relu);
  for (; co < Cout; co++)
    for (int t = 0; t < Lt; t += TT) conv_tile(1, K, out, S, MG, co, t, ph, off, Cin, w, b, relu);
}

// out[co][t] (row stride S, data at MG) = b[co] + sum_ci sum_k w[co][ci][k] * ph[k][ci*S + MG + t + off[k]]
// for t < Lout; optional ReLU; optional sum of |out| per channel. Zeroes the right margin afterwards.
static void conv(const net_t *n, float *out, int Cout, int Lout, const float *const *ph, const int *off, int Cin, int K,
                 const float *w, const float *b, int relu, float *absSum) {
  const int S = n->S, MG = n->MG;
  const int Lt = (Lout + TT - 1) / TT * TT;
  // The residual units' kernel is always 3 (specialised); the stem's varies.
  if (K == 3) conv_k(3, out, S, MG, Cout, Lt, ph, off, Cin, w, b, relu);
  else conv_k(K, out, S, MG, Cout, Lt, ph, off, Cin, w, b, relu);
  // Sum of |out| per channel while the rows are still in cache (the shrinkage's mean |r|). Summed in
  // vector lanes: a plain `s += fabsf(x)` loop stays scalar (C keeps float additions in order) and
  // took a third of the convolution's time.
  if (absSum) {
    const vi mask = (vi){0} + 0x7fffffff;
    for (int c = 0; c < Cout; c++) {
      const float *row = out + c * S + MG;
      vf acc = (vf){0};
      int t = 0;
      for (; t + VW <= Lout; t += VW) acc = (vf)((vi)loadv(row + t) & mask) + acc;
      float s = 0;
      for (int v = 0; v < VW; v++) s += acc[v];
      for (; t < Lout; t++) s += fabsf(row[t]);
      absSum[c] = s;
    }
  }
  for (int c = 0; c < Cout; c++) memset(out + c * S + MG + Lout, 0, (size_t)(Lt - Lout + MG) * sizeof(float));
}

// Taps of a convolution with kernel K, padding P, stride s over phase buffers: which phase, which offset.
static void taps(int K, int P, int s, float *const *phases, const float **ph, int *off) {
  for (int k = 0; k < K; k++) {
    const int idx = k - P;
    const int p = ((idx % s) + s) % s;
    ph[k] = phases[p];
    off[k] = (idx - p) / s;
  }
}

static inline float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

// One member's probabilities for the window w (L floats) into probs (classes floats).
static void forward_member(net_t *n, const member_t *m, const float *w, float *probs) {
  const int S = n->S, MG = n->MG;
  int L = n->L;
  // Stem: the window split into even/odd phases, then a stride-2 convolution.
  const int half = L / 2;
  for (int t = 0; t < half; t++) { n->in0[MG + t] = w[2 * t]; n->in1[MG + t] = w[2 * t + 1]; }
  memset(n->in0 + MG + half, 0, (size_t)MG * sizeof(float));
  memset(n->in1 + MG + half, 0, (size_t)MG * sizeof(float));
  {
    float *phases[2] = {n->in0, n->in1};
    const float *ph[256]; int off[256];
    taps(m->stemK, m->stemK / 2, 2, phases, ph, off);
    conv(n, n->X, m->stemC, half, ph, off, 1, m->stemK, m->stemW, m->stemB, 0, NULL);
  }
  L = half;
  float *X = n->X, *Y = n->Y;
  float *a = n->tmp, *z = n->tmp + n->maxC, *tau = n->tmp + 2 * n->maxC;
  for (int u = 0; u < m->nUnits; u++) {
    const unit_t *U = &m->units[u];
    const int s = U->stride, Lo = L / s;
    // bn1 + ReLU, written in s phases.
    float *phases[2] = {n->H0, n->H1};
    for (int c = 0; c < U->cin; c++) {
      const float sc = U->bn1s[c], sh = U->bn1b[c];
      const float *x = X + c * S + MG;
      if (s == 1) {
        float *h = n->H0 + c * S + MG;
        for (int t = 0; t < L; t++) { const float v = x[t] * sc + sh; h[t] = v > 0 ? v : 0; }
        memset(h + L, 0, (size_t)MG * sizeof(float));
      } else {
        float *he = n->H0 + c * S + MG, *ho = n->H1 + c * S + MG, *xs = n->XS + c * S + MG;
        for (int t = 0; t < Lo; t++) {
          xs[t] = x[2 * t];
          const float ve = x[2 * t] * sc + sh, vo = x[2 * t + 1] * sc + sh;
          he[t] = ve > 0 ? ve : 0;
          ho[t] = vo > 0 ? vo : 0;
        }
        memset(he + Lo, 0, (size_t)MG * sizeof(float));
        memset(ho + Lo, 0, (size_t)MG * sizeof(float));
      }
    }
    const float *ph[3]; int off[3];
    taps(3, 1, s, phases, ph, off);
    conv(n, n->R1, U->cout, Lo, ph, off, U->cin, 3, U->w1, U->b1, 1, NULL);
    float *r1[1] = {n->R1};
    taps(3, 1, 1, r1, ph, off);
    const int shrink = n->variant != VARIANT_PLAIN;
    conv(n, n->R2, U->cout, Lo, ph, off, U->cout, 3, U->w2, U->b2, 0, shrink ? a : NULL);
    const int C = U->cout;
    if (shrink) {
      for (int c = 0; c < C; c++) a[c] /= (float)Lo;
      for (int i = 0; i < C; i++) {
        float v = U->f1b[i];
        for (int j = 0; j < C; j++) v += U->f1w[i * C + j] * a[j];
        z[i] = v > 0 ? v : 0;
      }
      if (n->variant == VARIANT_CW) {
        for (int i = 0; i < C; i++) {
          float v = U->f2b[i];
          for (int j = 0; j < C; j++) v += U->f2w[i * C + j] * z[j];
          tau[i] = sigmoidf(v) * a[i];
        }
      } else {
        float v = U->f2b[0], mean = 0;
        for (int j = 0; j < C; j++) { v += U->f2w[j] * z[j]; mean += a[j]; }
        const float t = sigmoidf(v) * (mean / (float)C);
        for (int i = 0; i < C; i++) tau[i] = t;
      }
    }
    // y = soft(r2, tau) + shortcut (x, or its even samples when strided; zero channels when widening).
    for (int c = 0; c < C; c++) {
      const float *r = n->R2 + c * S + MG;
      float *y = Y + c * S + MG;
      const float *sc = c >= U->cin ? NULL : (s == 1 ? X : n->XS) + c * S + MG;
      if (shrink) {
        const float tp = tau[c], tn = -tau[c];
        if (sc) for (int t = 0; t < Lo; t++) { const float v = r[t] < tp ? r[t] : tp; y[t] = r[t] - (v > tn ? v : tn) + sc[t]; }
        else for (int t = 0; t < Lo; t++) { const float v = r[t] < tp ? r[t] : tp; y[t] = r[t] - (v > tn ? v : tn); }
      } else if (sc) {
        for (int t = 0; t < Lo; t++) y[t] = r[t] + sc[t];
      } else {
        memcpy(y, r, (size_t)Lo * sizeof(float));
      }
    }
    float *sw = X; X = Y; Y = sw;
    L = Lo;
  }
  // Head: BN, ReLU, then mean over time (gap) or every position (flatten), FC, softmax.
  const int C = m->headC;
  float mx = -INFINITY;
  if (n->head == HEAD_FLATTEN) {
    // The map after BN + ReLU, in H0's rows (free now). Only [MG, MG + L) of each row: the margins must stay
    // zero, the next window's convolutions read them as padding.
    for (int c = 0; c < C; c++) {
      const float sc = m->hbs[c], sh = m->hbb[c];
      const float *x = X + c * S + MG;
      float *h = n->H0 + c * S + MG;
      for (int t = 0; t < L; t++) { const float v = x[t] * sc + sh; h[t] = v > 0 ? v : 0; }
    }
    for (int k = 0; k < n->classes; k++) {
      float v = m->fcb[k];
      for (int c = 0; c < C; c++) {
        const float *wk = m->fcw + ((size_t)k * C + c) * L, *h = n->H0 + c * S + MG;
        for (int t = 0; t < L; t++) v += wk[t] * h[t];
      }
      probs[k] = v;
      if (v > mx) mx = v;
    }
  } else {
    for (int c = 0; c < C; c++) {
      const float sc = m->hbs[c], sh = m->hbb[c];
      const float *x = X + c * S + MG;
      float s = 0;
      for (int t = 0; t < L; t++) { const float v = x[t] * sc + sh; s += v > 0 ? v : 0; }
      a[c] = s / (float)L;
    }
    for (int k = 0; k < n->classes; k++) {
      float v = m->fcb[k];
      for (int c = 0; c < C; c++) v += m->fcw[k * C + c] * a[c];
      probs[k] = v;
      if (v > mx) mx = v;
    }
  }
  float sum = 0;
  for (int k = 0; k < n->classes; k++) { probs[k] = expf(probs[k] - mx); sum += probs[k]; }
  for (int k = 0; k < n->classes; k++) probs[k] /= sum;
}

static void net_free(net_t *n) {
  if (!n) return;
  if (n->members) for (int i = 0; i < n->nMembers; i++) free(n->members[i].units);
  free(n->members);
  free(n->params);
  free(n->X); free(n->Y); free(n->XS); free(n->H0); free(n->H1); free(n->R1); free(n->R2); free(n->in0); free(n->in1); free(n->tmp);
  free(n);
}

// Plan: [version, L, classes, members, variant, head] then per member [stemC, stemK, nUnits, (cin, cout, stride) × nUnits, headC].
// Returns NULL and sets *err when the plan or the parameter count is inconsistent.
static net_t *net_create(const int32_t *plan, size_t planLen, const float *params, size_t nParams, const char **err) {
  *err = "plan too short";
  if (planLen < 6 || plan[0] != PLAN_VERSION) { *err = "plan version mismatch"; return NULL; }
  net_t *n = calloc(1, sizeof(net_t));
  if (!n) { *err = "out of memory"; return NULL; }
  n->L = plan[1]; n->classes = plan[2]; n->nMembers = plan[3]; n->variant = plan[4]; n->head = plan[5];
  if (n->L < 32 || n->L % 2 || n->classes < 1 || n->nMembers < 1 || n->nMembers > 64 || n->variant < 0 || n->variant > 2 || n->head < 0 || n->head > 1) {
    *err = "bad plan header"; net_free(n); return NULL;
  }
  n->members = calloc((size_t)n->nMembers, sizeof(member_t));
  n->params = malloc(nParams * sizeof(float) + 1);
  if (!n->members || !n->params) { *err = "out of memory"; net_free(n); return NULL; }
  memcpy(n->params, params, nParams * sizeof(float));
  size_t pi = 0, qi = 6;
  int maxC = 1, maxK = 3;
#define TAKE(ptr, count) do { size_t c_ = (size_t)(count); if (pi + c_ > nParams) { *err = "too few parameters for the plan"; net_free(n); return NULL; } (ptr) = n->params + pi; pi += c_; } while (0)
#define PLAN(v) do { if (qi >= planLen) { *err = "plan too short"; net_free(n); return NULL; } (v) = plan[qi++]; } while (0)
  for (int mi = 0; mi < n->nMembers; mi++) {
    member_t *m = &n->members[mi];
    PLAN(m->stemC); PLAN(m->stemK); PLAN(m->nUnits);
    if (m->stemC < 1 || m->stemC > 4096 || m->stemK < 1 || m->stemK > 255 || m->stemK % 2 == 0 || m->nUnits < 0 || m->nUnits > 256) {
      *err = "bad stem or unit count"; net_free(n); return NULL;
    }
    if (m->stemK > maxK) maxK = m->stemK;
    if (m->stemC > maxC) maxC = m->stemC;
    TAKE(m->stemW, m->stemC * m->stemK); TAKE(m->stemB, m->stemC);
    m->units = calloc((size_t)(m->nUnits > 0 ? m->nUnits : 1), sizeof(unit_t));
    if (!m->units) { *err = "out of memory"; net_free(n); return NULL; }
    int L = n->L / 2, c = m->stemC;
    for (int u = 0; u < m->nUnits; u++) {
      unit_t *U = &m->units[u];
      PLAN(U->cin); PLAN(U->cout); PLAN(U->stride);
      if (U->cin != c || U->cout < U->cin || U->cout > 4096 || (U->stride != 1 && U->stride != 2) || L % U->stride) {
        *err = "bad unit (channels must chain and not shrink; stride 1 or 2 on an even length)"; net_free(n); return NULL;
      }
      L /= U->stride; c = U->cout;
      if (c > maxC) maxC = c;
      const int C = U->cout;
      TAKE(U->bn1s, U->cin); TAKE(U->bn1b, U->cin);
      TAKE(U->w1, C * U->cin * 3); TAKE(U->b1, C);
      TAKE(U->w2, C * C * 3); TAKE(U->b2, C);
      if (n->variant != VARIANT_PLAIN) {
        const int F = n->variant == VARIANT_CW ? C : 1;
        TAKE(U->f1w, C * C); TAKE(U->f1b, C);
        TAKE(U->f2w, F * C); TAKE(U->f2b, F);
      }
    }
    if (L < 1) { *err = "the window is too short for this many strided units"; net_free(n); return NULL; }
    PLAN(m->headC);
    if (m->headC != c) { *err = "head channels differ from the last unit's"; net_free(n); return NULL; }
    n->Lf = L;
    TAKE(m->hbs, c); TAKE(m->hbb, c);
    TAKE(m->fcw, n->classes * c * (n->head == HEAD_FLATTEN ? L : 1)); TAKE(m->fcb, n->classes);
  }
#undef TAKE
#undef PLAN
  if (pi != nParams) { *err = "more parameters than the plan uses"; net_free(n); return NULL; }
  if (qi != planLen) { *err = "plan longer than its members"; net_free(n); return NULL; }
  // Margin: the stem's taps reach (K/2)/2 + 1 samples beyond a phase; convolutions' 1; plus a tile's overrun.
  n->MG = ((maxK / 2) / 2 + 2 + 7) / 8 * 8;
  if (n->MG < 8) n->MG = 8;
  n->maxC = maxC;
  const int half = n->L / 2;
  n->S = (half + TT - 1) / TT * TT + 2 * n->MG + TT;
  const size_t rows = (size_t)maxC * (size_t)n->S;
  n->X = calloc(rows, sizeof(float)); n->Y = calloc(rows, sizeof(float)); n->XS = calloc(rows, sizeof(float));
  n->H0 = calloc(rows, sizeof(float)); n->H1 = calloc(rows, sizeof(float));
  n->R1 = calloc(rows, sizeof(float)); n->R2 = calloc(rows, sizeof(float));
  n->in0 = calloc((size_t)n->S, sizeof(float)); n->in1 = calloc((size_t)n->S, sizeof(float));
  n->tmp = calloc((size_t)(3 * maxC + n->classes), sizeof(float));
  if (!n->X || !n->Y || !n->XS || !n->H0 || !n->H1 || !n->R1 || !n->R2 || !n->in0 || !n->in1 || !n->tmp) { *err = "out of memory"; net_free(n); return NULL; }
  *err = NULL;
  return n;
}

static void net_run(net_t *n, const float *in, int count, float *out) {
  float *p = n->tmp + 3 * n->maxC;
  for (int i = 0; i < count; i++) {
    const float *w = in + (size_t)i * n->L;
    float *o = out + (size_t)i * n->classes;
    if (n->nMembers == 1) { forward_member(n, &n->members[0], w, o); continue; }
    memset(o, 0, (size_t)n->classes * sizeof(float));
    for (int mi = 0; mi < n->nMembers; mi++) {
      forward_member(n, &n->members[mi], w, p);
      for (int k = 0; k < n->classes; k++) o[k] += p[k];
    }
    for (int k = 0; k < n->classes; k++) o[k] /= (float)n->nMembers;
  }
}

// ---- Node-API binding -------------------------------------------------------------------------------

#define CALL(env, expr) do { if ((expr) != napi_ok) { napi_throw_error((env), "DRSND_NATIVE", "node-api call failed: " #expr); return NULL; } } while (0)

static void finalize_net(napi_env env, void *data, void *hint) { (void)env; (void)hint; net_free((net_t *)data); }

int drsnd_typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type; napi_value ab; size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok) return 0;
  return type == want;
}

// create(plan: Int32Array, params: Float32Array) → handle
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *plan, *params; size_t planLen, nParams;
  if (argc < 2 || !drsnd_typed_array(env, argv[0], napi_int32_array, &plan, &planLen) || !drsnd_typed_array(env, argv[1], napi_float32_array, &params, &nParams)) {
    napi_throw_type_error(env, "DRSND_NATIVE", "create(plan: Int32Array, params: Float32Array)");
    return NULL;
  }
  const char *err = NULL;
  net_t *n = net_create(plan, planLen, params, nParams, &err);
  if (!n) { napi_throw_error(env, "DRSND_NATIVE", err ? err : "cannot create the net"); return NULL; }
  napi_value handle;
  if (napi_create_external(env, n, finalize_net, NULL, &handle) != napi_ok) { net_free(n); napi_throw_error(env, "DRSND_NATIVE", "napi_create_external failed"); return NULL; }
  return handle;
}

// run(handle, windows: Float32Array, n: number, out: Float32Array): n × L floats in, n × classes out.
static napi_value js_run(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  net_t *n = NULL;
  napi_valuetype vt;
  if (argc < 4 || napi_typeof(env, argv[0], &vt) != napi_ok || vt != napi_external || napi_get_value_external(env, argv[0], (void **)&n) != napi_ok || !n) {
    napi_throw_type_error(env, "DRSND_NATIVE", "run(handle, windows, n, out): bad handle");
    return NULL;
  }
  void *in, *out; size_t inLen, outLen; int32_t count;
  if (!drsnd_typed_array(env, argv[1], napi_float32_array, &in, &inLen) || napi_get_value_int32(env, argv[2], &count) != napi_ok ||
      !drsnd_typed_array(env, argv[3], napi_float32_array, &out, &outLen)) {
    napi_throw_type_error(env, "DRSND_NATIVE", "run(handle, windows: Float32Array, n: number, out: Float32Array)");
    return NULL;
  }
  if (count < 0 || (size_t)count * (size_t)n->L > inLen || (size_t)count * (size_t)n->classes > outLen) {
    napi_throw_range_error(env, "DRSND_NATIVE", "run: windows or out shorter than n windows");
    return NULL;
  }
  net_run(n, in, count, out);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "create", NAPI_AUTO_LENGTH, js_create, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "create", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "run", NAPI_AUTO_LENGTH, js_run, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "run", fn) != napi_ok) return NULL;
  napi_value v;
  if (napi_create_int32(env, PLAN_VERSION, &v) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "planVersion", v) != napi_ok) return NULL;
  if (fft_register(env, exports) != 0) return NULL;
  if (physics_register(env, exports) != 0) return NULL;
  return exports;
}
