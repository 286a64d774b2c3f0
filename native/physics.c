// The physics' hot loops in C (src/physics/native-physics.ts calls them where the addon is built; the
// TypeScript in indicators.ts, sensor-faults.ts and sensor-physics.ts stays the reference and the
// fallback, and tests compare both): per frame, the ring write, the drift blocks and the spike search
// in one pass; per window, the moments, the windowed spectrum and the velocity in one call; per
// window, the flatline/clipping statistics read straight from the ring. At 300 channels they run
// ~3,500 times a second each, and in TypeScript they (with their garbage) were most of the physics'
// extra CPU (docs/physics.md, "Cost").
//
// The arithmetic is the TypeScript's, in doubles and in the same order, so results agree to rounding
// (the compiler may fuse a multiply and an add).
#include "fft.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int number(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok;
}

static int log2_of(size_t n) {
  if (n < 4 || (n & (n - 1)) != 0) return -1;
  int b = 0;
  while (((size_t)1 << b) < n) b++;
  return b;
}

// windowStats(data: Float32Array, toG, hann: Float64Array, norm, velW2: Float64Array, power: Float64Array,
//             out: Float64Array)
// As WindowAnalyzer.analyse (src/physics/indicators.ts): n = 2·(power.length − 1) is the spectrum's
// size (a power of two ≤ data.length). Fills power (g² per bin) and out = [rms, peak, m2, m4, vms, ac]
// (ac: the power above bin 0, for the mains check).
static napi_value js_window_stats(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  float *data; double *w, *w2, *power, *out; double toG, norm;
  size_t len, nw, nw2, np, nout;
  if (argc < 7 || !drsnd_typed_array(env, argv[0], napi_float32_array, (void **)&data, &len) || !number(env, argv[1], &toG) ||
      !drsnd_typed_array(env, argv[2], napi_float64_array, (void **)&w, &nw) || !number(env, argv[3], &norm) ||
      !drsnd_typed_array(env, argv[4], napi_float64_array, (void **)&w2, &nw2) || !drsnd_typed_array(env, argv[5], napi_float64_array, (void **)&power, &np) ||
      !drsnd_typed_array(env, argv[6], napi_float64_array, (void **)&out, &nout)) {
    napi_throw_type_error(env, "DRSND_NATIVE", "windowStats(data: Float32Array, toG, hann: Float64Array, norm, velW2: Float64Array, power: Float64Array, out: Float64Array)");
    return NULL;
  }
  const size_t n = 2 * (np - 1);
  const int bits = log2_of(n);
  if (bits < 0 || n > len || nw < n || nw2 > np || nout < 6) {
    napi_throw_range_error(env, "DRSND_NATIVE", "windowStats: power.length − 1 must be a power of two ≥ 2 with 2·(power.length − 1) ≤ data.length ≤ hann.length; velW2 ≤ power; out ≥ 6");
    return NULL;
  }
  double *x = fft_scratch(env, n + 2 * (n / 2 + 1));
  if (!x) { napi_throw_error(env, "DRSND_NATIVE", "windowStats: out of memory"); return NULL; }
  double *re = x + n, *im = re + (n / 2 + 1);
  // Four partial sums per accumulator: one chain of dependent additions runs at the adder's latency
  // (it made this call no faster than the TypeScript); four keep the adder busy. The sums differ from
  // the TypeScript's in the last bits only.
  double s4[4] = { 0, 0, 0, 0 }, lo = INFINITY, hi = -INFINITY;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    for (int j = 0; j < 4; j++) {
      const double d = data[i + j];
      s4[j] += d;
      lo = d < lo ? d : lo;
      hi = d > hi ? d : hi;
    }
  }
  for (; i < len; i++) {
    const double d = data[i];
    s4[0] += d;
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  const double mean = ((s4[0] + s4[1]) + (s4[2] + s4[3])) / (double)len;
  double a2[4] = { 0, 0, 0, 0 }, a4[4] = { 0, 0, 0, 0 };
  // n is a power of two ≥ 4: the spectrum's head in blocks of four.
  for (i = 0; i < n; i += 4) {
    for (int j = 0; j < 4; j++) {
      const double v = (data[i + j] - mean) * toG;
      x[i + j] = v;
      const double v2 = v * v;
      a2[j] += v2;
      a4[j] += v2 * v2;
    }
  }
  for (; i < len; i++) {
    const double v = (data[i] - mean) * toG;
    const double v2 = v * v;
    a2[0] += v2;
    a4[0] += v2 * v2;
  }
  double m2 = (a2[0] + a2[1]) + (a2[2] + a2[3]);
  double m4 = (a4[0] + a4[1]) + (a4[2] + a4[3]);
  const double peak = len > 0 ? fmax(fabs((hi - mean) * toG), fabs((lo - mean) * toG)) : 0;
  m2 /= (double)len;
  m4 /= (double)len;
  if (fft_real(env, bits, x, w, re, im) != 0) { napi_throw_error(env, "DRSND_NATIVE", "windowStats: out of memory"); return NULL; }
  const size_t half = n / 2;
  for (size_t k = 0; k <= half; k++) power[k] = (re[k] * re[k] + im[k] * im[k]) * norm;
  power[0] /= 2;
  power[half] /= 2;
  double vms = 0, ac4[4] = { 0, 0, 0, 0 };
  for (size_t k = 1; k < nw2; k++) vms += power[k] * w2[k];
  size_t k = 1;
  for (; k + 4 <= np; k += 4) for (int j = 0; j < 4; j++) ac4[j] += power[k + j];
  for (; k < np; k++) ac4[0] += power[k];
  const double ac = (ac4[0] + ac4[1]) + (ac4[2] + ac4[3]);
  out[0] = sqrt(m2);
  out[1] = peak;
  out[2] = m2;
  out[3] = m4;
  out[4] = vms;
  out[5] = ac;
  return NULL;
}

// framePass(samples: Float32Array, ring: Float32Array, pos, k, blockLen, state: Float64Array(5),
//           blocks: Float64Array(2·cap), spikes: Int32Array(cap), spikeRms, neighbourShare, isolation)
// As SensorPhysics.onFrame and findSpikes (src/physics/sensor-physics.ts, sensor-faults.ts): the samples
// into the ring from `pos` (wrapping), the drift blocks (in g: × k) continued from state = [n, Σ, Σ²],
// and the frame's isolated spikes. Completed blocks (mean, rms) go to blocks[2·(j % cap)], spike frame
// indices to spikes[j % cap]; state[3] and state[4] count them (the caller reads the newest cap).
static napi_value js_frame_pass(napi_env env, napi_callback_info info) {
  size_t argc = 11; napi_value argv[11];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  float *x, *ring; double *state, *blocks; int32_t *spikes;
  double posD, k, blockLenD, spikeRms, share, isoD;
  size_t len, n, nstate, nblocks, nspikes;
  if (argc < 11 || !drsnd_typed_array(env, argv[0], napi_float32_array, (void **)&x, &len) || !drsnd_typed_array(env, argv[1], napi_float32_array, (void **)&ring, &n) ||
      !number(env, argv[2], &posD) || !number(env, argv[3], &k) || !number(env, argv[4], &blockLenD) ||
      !drsnd_typed_array(env, argv[5], napi_float64_array, (void **)&state, &nstate) || !drsnd_typed_array(env, argv[6], napi_float64_array, (void **)&blocks, &nblocks) ||
      !drsnd_typed_array(env, argv[7], napi_int32_array, (void **)&spikes, &nspikes) || !number(env, argv[8], &spikeRms) ||
      !number(env, argv[9], &share) || !number(env, argv[10], &isoD)) {
    napi_throw_type_error(env, "DRSND_NATIVE", "framePass(samples: Float32Array, ring: Float32Array, pos, k, blockLen, state: Float64Array, blocks: Float64Array, spikes: Int32Array, spikeRms, neighbourShare, isolation)");
    return NULL;
  }
  const size_t capB = nblocks / 2, capS = nspikes;
  if (n == 0 || posD < 0 || posD >= (double)n || blockLenD < 1 || blockLenD != floor(blockLenD) || nstate < 5 ||
      !(state[0] >= 0 && state[0] < blockLenD) || capB == 0 || capS == 0 || isoD < 1) {
    napi_throw_range_error(env, "DRSND_NATIVE", "framePass: 0 ≤ pos < ring.length, blockLen a whole number ≥ 1, state ≥ 5 with 0 ≤ state[0] < blockLen, blocks ≥ 2, spikes ≥ 1, isolation ≥ 1");
    return NULL;
  }
  // The ring: at most a few contiguous copies (a frame longer than the ring leaves its last n samples).
  size_t p = (size_t)posD;
  for (size_t i = 0; i < len;) {
    const size_t chunk = n - p < len - i ? n - p : len - i;
    memcpy(ring + p, x + i, chunk * sizeof(float));
    i += chunk;
    p += chunk;
    if (p == n) p = 0;
  }
  // The sums by stretches up to each block's end, with four partial sums per accumulator (one chain of
  // dependent additions ran at the adder's latency; four lanes vectorize). They differ from the
  // TypeScript's sequential sums in the last bits only.
  const double blockLen = blockLenD;
  double bn = state[0], bsum = state[1], bsum2 = state[2];
  double f1[4] = { 0, 0, 0, 0 }, f2[4] = { 0, 0, 0, 0 };
  size_t doneB = 0;
  for (size_t i = 0; i < len;) {
    const size_t need = (size_t)(blockLen - bn);
    const size_t end = i + (need < len - i ? need : len - i);
    double b1[4] = { 0, 0, 0, 0 }, b2[4] = { 0, 0, 0, 0 };
    size_t j = i;
    for (; j + 4 <= end; j += 4) {
      for (int l = 0; l < 4; l++) {
        const double s = x[j + l], v = s * k;
        f1[l] += s; f2[l] += s * s;
        b1[l] += v; b2[l] += v * v;
      }
    }
    for (; j < end; j++) {
      const double s = x[j], v = s * k;
      f1[0] += s; f2[0] += s * s;
      b1[0] += v; b2[0] += v * v;
    }
    bsum += (b1[0] + b1[1]) + (b1[2] + b1[3]);
    bsum2 += (b2[0] + b2[1]) + (b2[2] + b2[3]);
    bn += (double)(end - i);
    i = end;
    if (bn == blockLen) {
      const double mean = bsum / bn;
      const size_t jb = 2 * (doneB % capB);
      blocks[jb] = mean;
      blocks[jb + 1] = sqrt(fmax(0, bsum2 / bn - mean * mean));
      doneB++;
      bn = 0; bsum = 0; bsum2 = 0;
    }
  }
  const double fsum = (f1[0] + f1[1]) + (f1[2] + f1[3]), fsum2 = (f2[0] + f2[1]) + (f2[2] + f2[3]);
  state[0] = bn; state[1] = bsum; state[2] = bsum2; state[3] = (double)doneB;
  size_t found = 0;
  const size_t iso = (size_t)isoD;
  if (len >= 4 * iso) {
    const double mean = fsum / (double)len;
    const double rms = sqrt(fmax(0, fsum2 / (double)len - mean * mean));
    if (rms != 0) {
      const double limit = spikeRms * rms;
      for (size_t i = iso; i < len - iso; i++) {
        // Eight samples at a time while none is over the limit (nearly always): one vector compare.
        while (i + 8 <= len - iso) {
          int over = 0;
          for (int l = 0; l < 8; l++) over |= fabs(x[i + l] - mean) > limit;
          if (over) break;
          i += 8;
        }
        if (i >= len - iso) break;
        const double h = fabs(x[i] - mean);
        if (h <= limit) continue;
        bool isolated = true;
        for (size_t j = 1; j <= iso && isolated; j++) {
          if (fabs(x[i - j] - mean) >= share * h || fabs(x[i + j] - mean) >= share * h) isolated = false;
        }
        if (isolated) spikes[found++ % capS] = (int32_t)i;
      }
    }
  }
  state[4] = (double)found;
  return NULL;
}

// spanStats(ring: Float32Array, from, len, k, minCount, out: Float64Array(9))
// As rawChecks' passes (src/physics/sensor-faults.ts) on len samples of the ring from position `from`
// (wrapping), × k: out = [min, max, nMin, nMax, Σ, atMax, nearMax, atMin, nearMin]; the second pass
// (at/near the extremes) only when an extreme occurs minCount times or more, else those are 0.
static napi_value js_span_stats(napi_env env, napi_callback_info info) {
  size_t argc = 6; napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  float *ring; double *out; double fromD, lenD, k, minCount; size_t n, nout;
  if (argc < 6 || !drsnd_typed_array(env, argv[0], napi_float32_array, (void **)&ring, &n) || !number(env, argv[1], &fromD) ||
      !number(env, argv[2], &lenD) || !number(env, argv[3], &k) || !number(env, argv[4], &minCount) ||
      !drsnd_typed_array(env, argv[5], napi_float64_array, (void **)&out, &nout)) {
    napi_throw_type_error(env, "DRSND_NATIVE", "spanStats(ring: Float32Array, from, len, k, minCount, out: Float64Array)");
    return NULL;
  }
  if (fromD < 0 || fromD >= (double)n || lenD < 0 || lenD > (double)n || nout < 9) {
    napi_throw_range_error(env, "DRSND_NATIVE", "spanStats: 0 ≤ from < ring.length, len ≤ ring.length, out ≥ 9");
    return NULL;
  }
  const size_t len = (size_t)lenD;
  double min = INFINITY, max = -INFINITY, nMin = 0, nMax = 0, sum = 0;
  size_t p = (size_t)fromD;
  for (size_t i = 0; i < len; i++) {
    const double v = ring[p] * k;
    if (++p == n) p = 0;
    sum += v;
    if (v <= min) { nMin = v == min ? nMin + 1 : 1; min = v; }
    if (v >= max) { nMax = v == max ? nMax + 1 : 1; max = v; }
  }
  double atMax = 0, nearMax = 0, atMin = 0, nearMin = 0;
  if (nMax >= minCount || nMin >= minCount) {
    const double band = 0.01 * (max - min);
    p = (size_t)fromD;
    for (size_t i = 0; i < len; i++) {
      const double v = ring[p] * k;
      if (++p == n) p = 0;
      if (v == max) atMax++;
      else if (v > max - band) nearMax++;
      if (v == min) atMin++;
      else if (v < min + band) nearMin++;
    }
  }
  out[0] = min; out[1] = max; out[2] = nMin; out[3] = nMax; out[4] = sum;
  out[5] = atMax; out[6] = nearMax; out[7] = atMin; out[8] = nearMin;
  return NULL;
}

int physics_register(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "windowStats", js_window_stats }, { "framePass", js_frame_pass }, { "spanStats", js_span_stats },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &fn) != napi_ok) return 1;
    if (napi_set_named_property(env, exports, fns[i].name, fn) != napi_ok) return 1;
  }
  return 0;
}
