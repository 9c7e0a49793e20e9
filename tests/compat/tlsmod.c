/* tlsmod.c: a module with TLS, for dlopen_tls.  Built twice: with
 * global-dynamic TLS (libtlsmod_dyn, the usual for a dlopen'ed library)
 * and with initial-exec TLS (libtlsmod_ie, which ld.so must place in
 * static TLS: DF_STATIC_TLS). */
#ifndef SCRATCH
#define SCRATCH 4096 /* dynamic TLS: a block of its own, malloc'd */
#endif
static __thread int value = 7;
static __thread char scratch[SCRATCH];

int tlsmod_get(void)
{
	return value + scratch[SCRATCH / 2];
}

void tlsmod_set(int v)
{
	value = v;
	scratch[SCRATCH / 2] = 1;
}
