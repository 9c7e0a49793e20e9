/* shims/shim.h: what every shims/ header shares. */
#ifndef MN_SHIMS_SHIM_H
#define MN_SHIMS_SHIM_H
/* Internal to libmnthread.so (preload/ calls it; nothing exports it). */
#define MN_SHIM __attribute__((visibility("hidden")))
#endif
