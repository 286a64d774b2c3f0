// Real and complex FFTs for the physics (src/physics/fft.ts), registered on the addon's exports.
#ifndef DRSND_FFT_H
#define DRSND_FFT_H
#include <node_api.h>

/** Adds rfft() and cfft() to `exports`; 0 on success. */
int fft_register(napi_env env, napi_value exports);

/** x[i]·w[i] (w may be NULL), 2^bits real samples → re, im of bins 0..2^(bits−1) (plans per environment); 0 on success. */
int fft_real(napi_env env, int bits, const double *x, const double *w, double *re, double *im);

/** A scratch region of at least n doubles for this environment (valid until the next call); NULL if out of memory. */
double *fft_scratch(napi_env env, size_t n);

/** Adds the physics' per-frame and per-window loops (native/physics.c) to `exports`; 0 on success. */
int physics_register(napi_env env, napi_value exports);

/** 1 when v is a typed array of type `want` (its data and element count then in data, len), else 0 (drsn.c). */
int drsnd_typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len);

#endif
