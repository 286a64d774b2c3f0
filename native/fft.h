// Real and complex FFTs for the physics (src/physics/fft.ts), registered on the addon's exports.
#ifndef DRSND_FFT_H
#define DRSND_FFT_H
#include <node_api.h>

/** Adds rfft() and cfft() to `exports`; 0 on success. */
int fft_register(napi_env env, napi_value exports);

#endif
