/* preempt_stress_avx.c: preempt_stress's AVX2 work.
 *
 * Built without -mavx2: only this function uses AVX2 (the target
 * attribute), and preempt_stress calls it only when the CPU has AVX2
 * (__builtin_cpu_supports), so the program runs on any x86_64 and the
 * build does not depend on the build machine's CPU.
 *
 * Fourteen ymm accumulators, kept in registers across the loop, step
 * through maps that never forget an error: doubles multiplied by a factor
 * slightly above 1 (no FMA: the rounding is the same in every run) and
 * 64-bit lanes through xorshift.  A register that a preemption restored
 * wrongly (an upper half lost, a value swapped) changes the final hash.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

int stress_avx_supported(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

__attribute__((target("avx2"))) uint64_t stress_avx(long iters)
{
	__m256d d0 = _mm256_set_pd(1.0, 2.0, 3.0, 4.0);
	__m256d d1 = _mm256_set_pd(5.0, 6.0, 7.0, 8.0);
	__m256d d2 = _mm256_set_pd(9.0, 10.0, 11.0, 12.0);
	__m256d d3 = _mm256_set_pd(13.0, 14.0, 15.0, 16.0);
	__m256d d4 = _mm256_set_pd(0.5, 0.25, 0.125, 0.0625);
	__m256d d5 = _mm256_set_pd(1.5, 2.5, 3.5, 4.5);
	__m256d d6 = _mm256_set_pd(-1.0, -2.0, -3.0, -4.0);
	__m256d d7 = _mm256_set_pd(1e3, 1e4, 1e5, 1e6);
	__m256i x0 = _mm256_set_epi64x(1, 2, 3, 4);
	__m256i x1 = _mm256_set_epi64x(5, 6, 7, 8);
	__m256i x2 = _mm256_set_epi64x(9, 10, 11, 12);
	__m256i x3 = _mm256_set_epi64x(13, 14, 15, 16);
	__m256i x4 = _mm256_set_epi64x(17, 18, 19, 20);
	__m256i x5 = _mm256_set_epi64x(21, 22, 23, 24);
	const __m256d f = _mm256_set1_pd(1.0000001);
	const __m256d g = _mm256_set1_pd(1.0000003);

#define XS(x)                                                   \
	do {                                                    \
		x = _mm256_xor_si256(x, _mm256_slli_epi64(x, 13)); \
		x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 7));  \
		x = _mm256_xor_si256(x, _mm256_slli_epi64(x, 17)); \
	} while (0)
	for (long i = 0; i < iters; i++) {
		d0 = _mm256_mul_pd(d0, f);
		d1 = _mm256_mul_pd(d1, g);
		d2 = _mm256_mul_pd(d2, f);
		d3 = _mm256_mul_pd(d3, g);
		d4 = _mm256_mul_pd(d4, f);
		d5 = _mm256_mul_pd(d5, g);
		d6 = _mm256_mul_pd(d6, f);
		d7 = _mm256_mul_pd(d7, g);
		XS(x0);
		XS(x1);
		XS(x2);
		XS(x3);
		XS(x4);
		XS(x5);
	}
#undef XS

	uint64_t lanes[4 * 14];
	__m256d ds[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
	__m256i xs[6] = {x0, x1, x2, x3, x4, x5};
	for (int k = 0; k < 8; k++)
		memcpy(&lanes[4 * k], &ds[k], 32);
	for (int k = 0; k < 6; k++)
		memcpy(&lanes[4 * (8 + k)], &xs[k], 32);
	uint64_t h = 1469598103934665603u;
	for (int k = 0; k < 4 * 14; k++)
		h = (h ^ lanes[k]) * 1099511628211u;
	return h;
}
