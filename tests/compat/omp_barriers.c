/* omp_barriers: an OpenMP program for preempt_openmp.sh (issue 11).
 *
 * Usage: omp_barriers [ROUNDS]   (default 40)
 *
 * Each round: a parallel for with a reduction (static schedule), then a
 * parallel region where thread k first does k + 1 units of busy work (so
 * that the others reach the barrier early and wait there: libgomp spins,
 * then sleeps in raw futex system calls of its own), writes its slot, and
 * meets the others at an explicit barrier; every thread then checks every
 * slot, and a second explicit barrier closes the round.  Prints the team
 * size, a total that does not depend on the schedule, and how many checks
 * failed (0).
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 256

static long slot[MAXT];

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40;
	const long n = 200000;
	double total = 0;
	long bad = 0;
	for (int r = 0; r < rounds; r++) {
		double sum = 0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
		for (long i = 0; i < n; i++)
			sum += (double)((i + r) % 11) * 0.25;
		total += sum;
#pragma omp parallel
		{
			int me = omp_get_thread_num(), nt = omp_get_num_threads();
			volatile double w = 0;
			for (long k = 0; k < 20000L * (me + 1); k++)
				w += 1;
			if (me < MAXT)
				slot[me] = me + r;
#pragma omp barrier
			long s = 0;
			for (int k = 0; k < nt && k < MAXT; k++)
				s += slot[k];
			if (nt <= MAXT && s != (long)nt * (nt - 1) / 2 + (long)nt * r) {
#pragma omp atomic
				bad++;
			}
#pragma omp barrier
#pragma omp single
			total += 1;
		}
	}
	printf("threads %d total %.2f failed checks %ld\n", omp_get_max_threads(), total, bad);
	return bad != 0;
}
