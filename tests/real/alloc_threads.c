/* alloc_threads: a threaded program that works its allocator hard, for
 * tests/real/allocators.sh.  Eight workers allocate blocks of many sizes
 * (malloc, calloc, realloc, posix_memalign), fill them, and hand half of
 * them to the next worker through a mutex and condition variable queue,
 * which checks and frees them (frees from another thread than the one
 * that allocated); then 200 short threads are created and joined, each
 * allocating.  Prints a checksum that does not depend on the schedule, and
 * "allocator: NAME" when a library whose name contains NAME (the
 * environment variable ALLOC_NAME) is mapped, so the test knows the
 * allocator it meant is the one in use. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NW 8
#define ROUNDS 20000

struct block {
	struct block *next;
	size_t size;
	uint32_t seed;
	unsigned char data[];
};

static struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct block *head;
	int closed;
} q[NW];

static uint64_t sums[NW];

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

static struct block *make(uint32_t *s)
{
	size_t size = 1 + rnd(s) % (rnd(s) % 8 == 0 ? 65536 : 512);
	struct block *b;
	switch (rnd(s) % 4) {
	case 0: b = malloc(sizeof *b + size); break;
	case 1: b = calloc(1, sizeof *b + size); break;
	case 2: b = realloc(malloc(16), sizeof *b + size); break;
	default:
		if (posix_memalign((void **)&b, 64, sizeof *b + size) != 0)
			b = NULL;
		break;
	}
	if (!b) {
		printf("allocation failed\n");
		exit(1);
	}
	b->size = size;
	b->seed = *s;
	memset(b->data, (int)(b->seed & 0xff), size);
	return b;
}

/* The block's checksum, after checking its contents. */
static uint64_t check(struct block *b)
{
	for (size_t i = 0; i < b->size; i++)
		if (b->data[i] != (unsigned char)(b->seed & 0xff)) {
			printf("corrupted block\n");
			exit(1);
		}
	return b->size * 31u + (b->seed & 0xff);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint32_t s = 7u * (uint32_t)id + 1;
	struct queue *out = &q[(id + 1) % NW], *in = &q[id];
	uint64_t sum = 0;
	for (int r = 0; r < ROUNDS; r++) {
		struct block *b = make(&s);
		if (r & 1) {
			sum += check(b);
			free(b);
			continue;
		}
		pthread_mutex_lock(&out->lock);
		b->next = out->head;
		out->head = b;
		pthread_cond_signal(&out->cv);
		pthread_mutex_unlock(&out->lock);
		/* Free what the previous worker handed over. */
		pthread_mutex_lock(&in->lock);
		struct block *got = in->head;
		in->head = NULL;
		pthread_mutex_unlock(&in->lock);
		while (got) {
			struct block *n = got->next;
			sum += check(got);
			free(got);
			got = n;
		}
	}
	pthread_mutex_lock(&out->lock);
	out->closed++;
	pthread_cond_signal(&out->cv);
	pthread_mutex_unlock(&out->lock);
	/* What is left for us, once the previous worker is done. */
	pthread_mutex_lock(&in->lock);
	while (!in->closed)
		pthread_cond_wait(&in->cv, &in->lock);
	struct block *got = in->head;
	in->head = NULL;
	pthread_mutex_unlock(&in->lock);
	while (got) {
		struct block *n = got->next;
		sum += check(got);
		free(got);
		got = n;
	}
	sums[id] = sum;
	return NULL;
}

static void *short_lived(void *arg)
{
	uint32_t s = (uint32_t)(intptr_t)arg;
	uint64_t sum = 0;
	for (int i = 0; i < 50; i++) {
		struct block *b = make(&s);
		sum += check(b);
		free(b);
	}
	return (void *)(uintptr_t)sum;
}

static void which_allocator(void)
{
	const char *want = getenv("ALLOC_NAME");
	if (!want || !*want)
		return;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, want)) {
			printf("allocator: %s\n", want);
			break;
		}
	if (f)
		fclose(f);
}

int main(void)
{
	which_allocator();
	for (int i = 0; i < NW; i++) {
		pthread_mutex_init(&q[i].lock, NULL);
		pthread_cond_init(&q[i].cv, NULL);
	}
	pthread_t t[NW];
	for (int i = 0; i < NW; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
			printf("pthread_create failed\n");
			return 1;
		}
	uint64_t total = 0;
	for (int i = 0; i < NW; i++) {
		pthread_join(t[i], NULL);
		total += sums[i];
	}
	for (int i = 0; i < 200; i++) {
		pthread_t s;
		void *r;
		if (pthread_create(&s, NULL, short_lived, (void *)(intptr_t)(i + 1)) != 0) {
			printf("pthread_create failed\n");
			return 1;
		}
		pthread_join(s, &r);
		total += (uint64_t)(uintptr_t)r;
	}
	printf("checksum %llu\n", (unsigned long long)total);
	return 0;
}
