/* SPDX-License-Identifier: MIT */
/* xsshim.c - LD_PRELOAD shim: run Debian's xenstored/oxenstored (Xen 4.17)
 * with no hypervisor. Only the hypervisor edges are faked; transactions,
 * permissions and quotas are the daemon's own code. Unix-socket clients = dom0.
 *  libxenctrl:   domains in $XSSHIM_DOMIDS ("0,3,5-9"; unset = all) "exist"
 *  libxenevtchn: fd = FIFO $XSSHIM_RINGDIR/kick; a guest writes its domid
 *                (uint32) there to raise "its" event channel
 *  libxengnttab / xc_map_foreign_range: domid N's xenstore ring page is the
 *                file $XSSHIM_RINGDIR/ring-N (so tests can act as a guest)
 *  open("/proc/xen/xsd_{port,kva}"): memfds, so dom0_init() succeeds; it is
 *                what calls setup_structure(), i.e. creates the database
 *  setrlimit(NOFILE): clamp to the hard limit (oxenstored asks for 1M)
 * Built by tests/sandbox/up into the sandbox directory. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define NDOM DOMID_FIRST_RESERVED
static char fake_handle[4096];      /* zeroed stand-in for xc/gnttab handles */
struct xenevtchn_handle { int fd; };
static int next_port = 1, port_of_dom[NDOM];

static const char *dir(void)
{ const char *d = getenv("XSSHIM_RINGDIR"); return d && *d ? d : "/tmp"; }

static int exists(uint32_t d)
{
    const char *s = getenv("XSSHIM_DOMIDS");
    char *e;
    if (d >= NDOM) return 0;
    if (!s || !*s) return 1;
    for (; *s; s = *e ? e + 1 : e) {
        unsigned long lo = strtoul(s, &e, 10), hi = lo;
        if (*e == '-') hi = strtoul(e + 1, &e, 10);
        if (d >= lo && d <= hi) return 1;
    }
    return 0;
}

xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *d,
                                unsigned f) { return (void *)fake_handle; }
int xc_interface_close(xc_interface *x) { return 0; }
int xc_domain_getinfo(xc_interface *x, uint32_t d, unsigned max, xc_dominfo_t *i)
{
    for (; max && d < NDOM; d++)
        if (exists(d)) {
            memset(i, 0, sizeof(*i)); i->domid = d; i->running = 1; return 1;
        }
    return 0;
}
int xc_domain_getinfolist(xc_interface *x, uint32_t d, unsigned max,
                          xc_domaininfo_t *i)
{
    unsigned n = 0;
    for (; n < max && d < NDOM; d++)
        if (exists(d)) {
            memset(&i[n], 0, sizeof(*i));
            i[n].domain = d; i[n++].flags = XEN_DOMINF_running;
        }
    return n;
}

xenevtchn_handle *xenevtchn_open(xentoollog_logger *l, unsigned f)
{
    char p[4096];
    xenevtchn_handle *h = calloc(1, sizeof(*h));
    snprintf(p, sizeof(p), "%s/kick", dir());
    unlink(p);
    if (!h || mkfifo(p, 0600) || (h->fd = open(p, O_RDWR | O_NONBLOCK)) < 0)
        { free(h); return NULL; }
    return h;
}
xenevtchn_handle *xenevtchn_fdopen(xentoollog_logger *l, int fd, unsigned f)
{ xenevtchn_handle *h = calloc(1, sizeof(*h)); if (h) h->fd = fd; return h; }
int xenevtchn_close(xenevtchn_handle *h) { close(h->fd); free(h); return 0; }
int xenevtchn_fd(xenevtchn_handle *h) { return h->fd; }
int xenevtchn_notify(xenevtchn_handle *h, evtchn_port_t p) { return 0; }
int xenevtchn_unmask(xenevtchn_handle *h, evtchn_port_t p) { return 0; }
int xenevtchn_unbind(xenevtchn_handle *h, evtchn_port_t p) { return 0; }
int xenevtchn_bind_virq(xenevtchn_handle *h, unsigned v) { return next_port++; }
int xenevtchn_bind_interdomain(xenevtchn_handle *h, uint32_t d, evtchn_port_t r)
{ if (d < NDOM) port_of_dom[d] = next_port; return next_port++; }
int xenevtchn_pending(xenevtchn_handle *h)      /* one kick = one domid */
{
    uint32_t d;
    if (read(h->fd, &d, 4) != 4 || d >= NDOM) return 0;   /* 0: no-op port */
    return port_of_dom[d];
}

static void *map_ring(uint32_t domid, int prot)
{
    char p[4096];
    void *m = MAP_FAILED;
    int fd;
    snprintf(p, sizeof(p), "%s/ring-%u", dir(), domid);
    if ((fd = open(p, O_RDWR | O_CREAT, 0600)) < 0) return NULL;
    if (!ftruncate(fd, 4096)) m = mmap(NULL, 4096, prot, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}
xengnttab_handle *xengnttab_open(xentoollog_logger *l, unsigned f)
{ return (void *)fake_handle; }
int xengnttab_close(xengnttab_handle *g) { return 0; }
int xengnttab_set_max_grants(xengnttab_handle *g, uint32_t n) { return 0; }
void *xengnttab_map_grant_ref(xengnttab_handle *g, uint32_t d, uint32_t r, int prot)
{ return map_ring(d, prot); }
void *xc_map_foreign_range(xc_interface *x, uint32_t d, int sz, int prot,
                           unsigned long mfn) { return map_ring(d, prot); }
int xengnttab_unmap(xengnttab_handle *g, void *a, uint32_t n)
{ return munmap(a, 4096UL * n); }

static int fake_xsd(const char *p)   /* -2: not ours */
{
    int fd;
    if (!p || strncmp(p, "/proc/xen/xsd_", 14)) return -2;
    if ((fd = memfd_create(p + 10, 0)) < 0) return -1;
    if (!strcmp(p + 14, "port") ? pwrite(fd, "1\n", 2, 0) != 2 : ftruncate(fd, 4096))
        { close(fd); return -1; }
    return fd;
}
#define OPEN(name) int name(const char *p, int fl, ...) {                    \
    mode_t m = 0; int fd = fake_xsd(p);                                      \
    if (fd != -2) return fd;                                                 \
    if (fl & (O_CREAT | O_TMPFILE)) {                                        \
        va_list a; va_start(a, fl); m = va_arg(a, int); va_end(a); }         \
    return ((int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name))(p, fl, m); }
OPEN(open)
OPEN(open64)

int setrlimit(__rlimit_resource_t r, const struct rlimit *rl)
{
    int (*real)(__rlimit_resource_t, const struct rlimit *) =
        dlsym(RTLD_NEXT, "setrlimit");
    struct rlimit hard, c = *rl;
    int ret = real(r, rl);
    if (ret && errno == EPERM && r == RLIMIT_NOFILE && !getrlimit(r, &hard)) {
        if (c.rlim_max > hard.rlim_max) c.rlim_max = hard.rlim_max;
        if (c.rlim_cur > c.rlim_max) c.rlim_cur = c.rlim_max;
        ret = real(r, &c);
    }
    return ret;
}
