// The physics' FFTs in C (src/physics/fft.ts calls them when the addon is built; its TypeScript FFT is
// the fallback and the reference): the per-window spectrum of every channel and the envelope's
// transforms were ~45 % of the physics' CPU in TypeScript (docs/physics.md, "Cost").
//
// The same algorithms as fft.ts, so results agree to rounding: an iterative radix-2 complex FFT with
// twiddles and bit reversal planned once per size, and the real transform as a half-size complex FFT
// plus a split step (Numerical Recipes 3rd ed., §12.3.2). Only the passes over memory differ: the bit
// reversal is a planned list of swaps (or, for the real transform's small sizes, done while copying
// the input in), the first two stages run as one pass without their multiplications by 1 and ∓i, and
// small blocks take two stages per pass. Plans are per Node environment (each worker thread its own,
// freed with it), so no locking is needed.
#include "fft.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOG2 24
#ifndef STAGE2_MAX_HALF
#define STAGE2_MAX_HALF 64
#endif
// Complex sizes up to this get their input scattered to bit-reversed order (rtransform).
#ifndef SCATTER_MAX
#define SCATTER_MAX 2048
#endif

typedef struct {
  int n;         // complex size
  int *rev;      // bit reversal
  double *cs;    // cos(2πk/n), k < n/2
  double *sn;    // sin(2πk/n)
  double *tc;    // per stage of half-length h: tc[h + k] = cos(πk/h), k < h (the stage's twiddles, contiguous)
  double *ts;    // … sin(πk/h)
  int *swaps;    // the bit reversal's swaps (i < rev[i]) as pairs i, rev[i]
  int nswaps;
} cplan_t;

typedef struct {
  int n;         // real size (2 × the complex plan's)
  double *wr;    // cos(2πk/n), k ≤ n/2
  double *wi;    // −sin(2πk/n)
  double *zr;    // scratch, n/2
  double *zi;
} rplan_t;

typedef struct {
  cplan_t c[MAX_LOG2 + 1];
  rplan_t r[MAX_LOG2 + 1];
  double *scratch;  // fft_scratch(): one region per Node environment, grown on demand
  size_t scratch_n;
} plans_t;

static int log2_exact(size_t n) {
  if (n < 1 || (n & (n - 1)) != 0) return -1;
  int b = 0;
  while (((size_t)1 << b) < n) b++;
  return b > MAX_LOG2 ? -1 : b;
}

static const cplan_t *cplan(plans_t *p, int bits) {
  cplan_t *c = &p->c[bits];
  if (c->n) return c;
  const int n = 1 << bits;
  int *rev = malloc(sizeof(int) * (size_t)n);
  double *cs = malloc(sizeof(double) * (size_t)(n / 2 + 1));
  double *sn = malloc(sizeof(double) * (size_t)(n / 2 + 1));
  double *tc = malloc(sizeof(double) * (size_t)n);
  double *ts = malloc(sizeof(double) * (size_t)n);
  int *swaps = malloc(sizeof(int) * (size_t)n);
  if (!rev || !cs || !sn || !tc || !ts || !swaps) { free(rev); free(cs); free(sn); free(tc); free(ts); free(swaps); return NULL; }
  int nswaps = 0;
  for (int k = 0; k < n; k++) {
    int r = 0;
    for (int b = 0; b < bits; b++) r |= ((k >> b) & 1) << (bits - 1 - b);
    rev[k] = r;
    if (k < r) { swaps[2 * nswaps] = k; swaps[2 * nswaps + 1] = r; nswaps++; }
  }
  for (int k = 0; k < n / 2; k++) {
    cs[k] = cos((2 * M_PI * k) / n);
    sn[k] = sin((2 * M_PI * k) / n);
  }
  for (int h = 1; h < n; h <<= 1) {
    for (int k = 0; k < h; k++) {
      tc[h + k] = cs[k * (n / (2 * h))];
      ts[h + k] = sn[k * (n / (2 * h))];
    }
  }
  c->rev = rev; c->cs = cs; c->sn = sn; c->tc = tc; c->ts = ts; c->swaps = swaps; c->nswaps = nswaps; c->n = n;
  return c;
}

static const rplan_t *rplan(plans_t *p, int bits) {
  rplan_t *r = &p->r[bits];
  if (r->n) return r;
  const int n = 1 << bits, m = n / 2;
  double *wr = malloc(sizeof(double) * (size_t)(m + 1));
  double *wi = malloc(sizeof(double) * (size_t)(m + 1));
  double *zr = malloc(sizeof(double) * (size_t)m);
  double *zi = malloc(sizeof(double) * (size_t)m);
  if (!wr || !wi || !zr || !zi) { free(wr); free(wi); free(zr); free(zi); return NULL; }
  for (int k = 0; k <= m; k++) {
    wr[k] = cos((2 * M_PI * k) / n);
    wi[k] = -sin((2 * M_PI * k) / n);
  }
  r->wr = wr; r->wi = wi; r->zr = zr; r->zi = zi; r->n = n;
  return r;
}

/**
 * One block of a radix-2 stage: half butterflies between a (the block's first half) and b (its second)
 * with the stage's contiguous twiddles. The same butterflies and arithmetic as fft.ts; written over
 * non-overlapping restrict pointers and contiguous twiddles so the compiler vectorizes the loop (a
 * twiddle gathered per butterfly kept it scalar; timings: `node dist/bench/physics-parts.js`).
 */
static void stage(double *restrict ar, double *restrict ai, double *restrict br, double *restrict bi,
                  const double *restrict wc, const double *restrict ws, int half, double s) {
  for (int k = 0; k < half; k++) {
    const double wr = wc[k], wi = s * ws[k];
    const double xr = br[k] * wr - bi[k] * wi;
    const double xi = br[k] * wi + bi[k] * wr;
    br[k] = ar[k] - xr; bi[k] = ai[k] - xi;
    ar[k] += xr; ai[k] += xi;
  }
}

/**
 * Two consecutive stages (half-lengths h and 2h) over one block of 4h in one pass: the butterflies and
 * arithmetic of stage() twice, in the same order, so the results are the same to the bit; the block
 * is read and written once instead of twice (the transforms were bound by those passes).
 */
static void stage2(double *restrict xr, double *restrict xi, const double *restrict tc, const double *restrict ts, int h, double s) {
  double *restrict ar = xr, *restrict ai = xi, *restrict br = xr + h, *restrict bi = xi + h;
  double *restrict cr = xr + 2 * h, *restrict ci = xi + 2 * h, *restrict dr = xr + 3 * h, *restrict di = xi + 3 * h;
  const double *restrict w1c = tc + h, *restrict w1s = ts + h;
  const double *restrict w2c = tc + 2 * h, *restrict w2s = ts + 2 * h;
  const double *restrict w3c = tc + 3 * h, *restrict w3s = ts + 3 * h;
  for (int k = 0; k < h; k++) {
    // Stage h: (a, b) and (c, d) with the twiddle of k.
    const double w1r = w1c[k], w1i = s * w1s[k];
    const double br_ = br[k] * w1r - bi[k] * w1i, bi_ = br[k] * w1i + bi[k] * w1r;
    const double dr_ = dr[k] * w1r - di[k] * w1i, di_ = dr[k] * w1i + di[k] * w1r;
    const double a1r = ar[k] + br_, a1i = ai[k] + bi_, b1r = ar[k] - br_, b1i = ai[k] - bi_;
    const double c1r = cr[k] + dr_, c1i = ci[k] + di_, d1r = cr[k] - dr_, d1i = ci[k] - di_;
    // Stage 2h: (a, c) with the twiddle of k, (b, d) with that of k + h.
    const double w2r = w2c[k], w2i = s * w2s[k];
    const double w3r = w3c[k], w3i = s * w3s[k];
    const double xr2 = c1r * w2r - c1i * w2i, xi2 = c1r * w2i + c1i * w2r;
    const double xr3 = d1r * w3r - d1i * w3i, xi3 = d1r * w3i + d1i * w3r;
    ar[k] = a1r + xr2; ai[k] = a1i + xi2; cr[k] = a1r - xr2; ci[k] = a1i - xi2;
    br[k] = b1r + xr3; bi[k] = b1i + xi3; dr[k] = b1r - xr3; di[k] = b1i - xi3;
  }
}

/**
 * The butterflies of ctransform on input already in bit-reversed order. The first two stages (twiddles
 * 1 and ∓i) run as one pass with the multiplications by 1 and ∓i left out: fft.ts multiplies by
 * cos(π/2) ≈ 6e-17 there, so the results differ from it by rounding only.
 */
static void butterflies(const cplan_t *c, double *restrict re, double *restrict im, bool inverse) {
  const int n = c->n;
  const double s = inverse ? 1.0 : -1.0;
  if (n < 2) return;
  if (n == 2) {
    const double r0 = re[0], i0 = im[0];
    re[0] = r0 + re[1]; im[0] = i0 + im[1];
    re[1] = r0 - re[1]; im[1] = i0 - im[1];
    return;
  }
  for (int i = 0; i < n; i += 4) {
    const double a0r = re[i] + re[i + 1], a0i = im[i] + im[i + 1];
    const double a1r = re[i] - re[i + 1], a1i = im[i] - im[i + 1];
    const double a2r = re[i + 2] + re[i + 3], a2i = im[i + 2] + im[i + 3];
    const double a3r = re[i + 2] - re[i + 3], a3i = im[i + 2] - im[i + 3];
    // a3 · (0 + s·i)
    const double tr = -s * a3i, ti = s * a3r;
    re[i] = a0r + a2r; im[i] = a0i + a2i;
    re[i + 2] = a0r - a2r; im[i + 2] = a0i - a2i;
    re[i + 1] = a1r + tr; im[i + 1] = a1i + ti;
    re[i + 3] = a1r - tr; im[i + 3] = a1i - ti;
  }
  // Two stages per pass while a block's quarters are close (64 complex values): further apart, the
  // pass's eight streams compete for L1 sets and two single passes ran faster.
  int half = 4;
  while (half < n) {
    if (2 * half < n && half < STAGE2_MAX_HALF) {
      for (int i = 0; i < n; i += 4 * half) stage2(re + i, im + i, c->tc, c->ts, half, s);
      half <<= 2;
    } else {
      for (int i = 0; i < n; i += 2 * half) stage(re + i, im + i, re + i + half, im + i + half, c->tc + half, c->ts + half, half, s);
      half <<= 1;
    }
  }
}

/** In place; inverse uses e^{+i} and does not scale (as ComplexFft.transform). */
static void ctransform(const cplan_t *c, double *restrict re, double *restrict im, bool inverse) {
  // The bit reversal as a list of swaps planned once: a test per index mispredicted about half the time.
  for (int p = 0; p < c->nswaps; p++) {
    const int i = c->swaps[2 * p], j = c->swaps[2 * p + 1];
    double t = re[i]; re[i] = re[j]; re[j] = t;
    t = im[i]; im[i] = im[j]; im[j] = t;
  }
  butterflies(c, re, im, inverse);
}

/** n real samples (times w when given) → re, im of bins 0..n/2 (as RealFft.forward). */
static void rtransform(const rplan_t *r, const cplan_t *c, const double *x, const double *w, double *re, double *im) {
  const int m = r->n / 2;
  double *zr = r->zr, *zi = r->zi;
  // Small transforms: written straight to their bit-reversed places, so the complex transform needs no
  // swaps. Large ones (the envelope's 16,384 points): copied in order and swapped, which ran faster
  // than scattered writes over arrays larger than L1.
  if (m <= SCATTER_MAX) {
    const int *rev = c->rev;
    for (int k = 0; k < m; k++) {
      zr[rev[k]] = w ? x[2 * k] * w[2 * k] : x[2 * k];
      zi[rev[k]] = w ? x[2 * k + 1] * w[2 * k + 1] : x[2 * k + 1];
    }
    butterflies(c, zr, zi, false);
  } else {
    for (int k = 0; k < m; k++) {
      zr[k] = w ? x[2 * k] * w[2 * k] : x[2 * k];
      zi[k] = w ? x[2 * k + 1] * w[2 * k + 1] : x[2 * k + 1];
    }
    ctransform(c, zr, zi, false);
  }
  for (int k = 0; k <= m; k++) {
    const int a = k & (m - 1), b = (m - k) & (m - 1);
    const double er = 0.5 * (zr[a] + zr[b]), ei = 0.5 * (zi[a] - zi[b]);
    const double or_ = 0.5 * (zi[a] + zi[b]), oi = -0.5 * (zr[a] - zr[b]);
    re[k] = er + r->wr[k] * or_ - r->wi[k] * oi;
    im[k] = ei + r->wr[k] * oi + r->wi[k] * or_;
  }
}

// ---- Node-API -------------------------------------------------------------------------------------

static void free_plans(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  plans_t *p = data;
  for (int b = 0; b <= MAX_LOG2; b++) {
    free(p->c[b].rev); free(p->c[b].cs); free(p->c[b].sn); free(p->c[b].tc); free(p->c[b].ts); free(p->c[b].swaps);
    free(p->r[b].wr); free(p->r[b].wi); free(p->r[b].zr); free(p->r[b].zi);
  }
  free(p->scratch);
  free(p);
}

static plans_t *plans_of(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data) return data;
  plans_t *p = calloc(1, sizeof(plans_t));
  if (!p || napi_set_instance_data(env, p, free_plans, NULL) != napi_ok) { free(p); return NULL; }
  return p;
}

// rfft(x: Float64Array, re: Float64Array, im: Float64Array, w?: Float64Array): x.length = n, a power of two ≥ 4;
// re and im hold ≥ n/2 + 1; w (optional) n.
static napi_value js_rfft(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double *x, *re, *im, *w = NULL; size_t n, nre, nim, nw = 0;
  napi_valuetype wt = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &wt);
  if (argc < 3 || !drsnd_typed_array(env, argv[0], napi_float64_array, (void **)&x, &n) || !drsnd_typed_array(env, argv[1], napi_float64_array, (void **)&re, &nre) || !drsnd_typed_array(env, argv[2], napi_float64_array, (void **)&im, &nim) ||
      (wt != napi_undefined && wt != napi_null && !drsnd_typed_array(env, argv[3], napi_float64_array, (void **)&w, &nw))) {
    napi_throw_type_error(env, "DRSND_NATIVE", "rfft(x: Float64Array, re: Float64Array, im: Float64Array, w?: Float64Array)");
    return NULL;
  }
  const int bits = log2_exact(n);
  if (bits < 2 || nre < n / 2 + 1 || nim < n / 2 + 1 || (w && nw < n)) {
    napi_throw_range_error(env, "DRSND_NATIVE", "rfft: x.length must be a power of two >= 4; re, im >= n/2 + 1; w >= n");
    return NULL;
  }
  plans_t *p = plans_of(env);
  const cplan_t *c = p ? cplan(p, bits - 1) : NULL;
  const rplan_t *r = p ? rplan(p, bits) : NULL;
  if (!c || !r) { napi_throw_error(env, "DRSND_NATIVE", "rfft: out of memory"); return NULL; }
  rtransform(r, c, x, w, re, im);
  return NULL;
}

// cfft(re: Float64Array, im: Float64Array, inverse: boolean): in place, length a power of two.
static napi_value js_cfft(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  double *re, *im; size_t n, nim; bool inverse = false;
  if (argc < 3 || !drsnd_typed_array(env, argv[0], napi_float64_array, (void **)&re, &n) || !drsnd_typed_array(env, argv[1], napi_float64_array, (void **)&im, &nim) || napi_get_value_bool(env, argv[2], &inverse) != napi_ok) {
    napi_throw_type_error(env, "DRSND_NATIVE", "cfft(re: Float64Array, im: Float64Array, inverse: boolean)");
    return NULL;
  }
  const int bits = log2_exact(n);
  if (bits < 0 || nim != n) {
    napi_throw_range_error(env, "DRSND_NATIVE", "cfft: re and im of one power-of-two length");
    return NULL;
  }
  plans_t *p = plans_of(env);
  const cplan_t *c = p ? cplan(p, bits) : NULL;
  if (!c) { napi_throw_error(env, "DRSND_NATIVE", "cfft: out of memory"); return NULL; }
  ctransform(c, re, im, inverse);
  return NULL;
}

int fft_real(napi_env env, int bits, const double *x, const double *w, double *re, double *im) {
  if (bits < 2 || bits > MAX_LOG2) return 1;
  plans_t *p = plans_of(env);
  const cplan_t *c = p ? cplan(p, bits - 1) : NULL;
  const rplan_t *r = p ? rplan(p, bits) : NULL;
  if (!c || !r) return 1;
  rtransform(r, c, x, w, re, im);
  return 0;
}

double *fft_scratch(napi_env env, size_t n) {
  plans_t *p = plans_of(env);
  if (!p) return NULL;
  if (p->scratch_n < n) {
    double *s = realloc(p->scratch, sizeof(double) * n);
    if (!s) return NULL;
    p->scratch = s;
    p->scratch_n = n;
  }
  return p->scratch;
}

int fft_register(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "rfft", NAPI_AUTO_LENGTH, js_rfft, NULL, &fn) != napi_ok) return 1;
  if (napi_set_named_property(env, exports, "rfft", fn) != napi_ok) return 1;
  if (napi_create_function(env, "cfft", NAPI_AUTO_LENGTH, js_cfft, NULL, &fn) != napi_ok) return 1;
  if (napi_set_named_property(env, exports, "cfft", fn) != napi_ok) return 1;
  return 0;
}
