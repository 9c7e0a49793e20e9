/* omp_work: an OpenMP program for tests/real/openmp*.sh.  Fifty rounds of
 * a parallel reduction followed by a parallel region with a barrier and a
 * critical section: libgomp's team threads spin, then wait in raw futex
 * system calls of their own, which no interposer sees.  Prints the team
 * size and a total that does not depend on the schedule. */
#include <omp.h>
#include <stdio.h>

int main(void)
{
	const long n = 2000000;
	double total = 0;
	for (int r = 0; r < 50; r++) {
		double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
		for (long i = 0; i < n; i++)
			sum += (double)(i % 7) * 0.5;
#pragma omp parallel
		{
#pragma omp barrier
#pragma omp critical
			total += 1;
		}
		total += sum;
	}
	printf("threads %d total %.1f\n", omp_get_max_threads(), total);
	return 0;
}
