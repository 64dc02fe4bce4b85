/*
 * The glibc-only symbols that Debian's libstdc++.so.6 and libgcc_s.so.1 import, for loading them under
 * musl's dynamic linker: what Alpine's gcompat package provides. Built as ld-linux-x86-64.so.2, the name
 * those libraries ask for. Enough to run a Bun musl executable in a test; not for production.
 */
#include <locale.h>
#include <stddef.h>
#include <sys/random.h>
#include <time.h>

char __libc_single_threaded = 0;
struct cpu_model { unsigned int vendor, type, subtype, features[1]; } __cpu_model;

int __cpu_indicator_init(void) { return 0; }

/* No fast lookup: libgcc's unwinder falls back to dl_iterate_phdr, which musl has. */
int _dl_find_object(void *pc, void *result) {
  (void)pc;
  (void)result;
  return -1;
}

/* Thread-local destructors are not run: harmless for a short test process. */
int __cxa_thread_atexit_impl(void (*dtor)(void *), void *obj, void *dso) {
  (void)dtor;
  (void)obj;
  (void)dso;
  return 0;
}

unsigned int arc4random(void) {
  unsigned int v = 0;
  while (getrandom(&v, sizeof v, 0) != (long)sizeof v) {
  }
  return v;
}

size_t __strftime_l(char *s, size_t n, const char *f, const struct tm *tm, locale_t l) {
  return strftime_l(s, n, f, tm, l);
}
