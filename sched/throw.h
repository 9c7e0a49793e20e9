/* sched/throw.h: see runtime.h (mn_throw, mn_print, mn_printf). */
#include "runtime.h"
