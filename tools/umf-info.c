/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf-info.c -- print what libumf offers on this machine: version, backends
 * (built in, and whether each loads here), memory targets and the
 * predefined memory spaces; as text or, with --json, as JSON.
 *
 * Everything comes from the public API except bandwidth and latency, which
 * UMF 0.11 does not expose: those come from hwloc (umf_info_hwloc.c). Like
 * hwloc's own tools this honours HWLOC_XMLFILE, so a saved or fake topology
 * can be shown. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memspace.h>
#include <umf/memtarget.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_cuda.h>
#include <umf/providers/provider_level_zero.h>
#include <umf/providers/provider_os_memory.h>

#include "config.h"
#include "umf_info_internal.h"

#ifndef UMF_HAVE_HWLOC
#define UMF_HAVE_HWLOC 0
#endif

/* ---------------------------------------------------------------------- */
/* Gathering                                                              */
/* ---------------------------------------------------------------------- */

typedef struct backend_t {
    const char *name; /* as printed */
    const char *key;  /* JSON */
    bool built;
    bool loads;
    char detail[256];
} backend_t;

enum { B_HWLOC, B_JEMALLOC, B_TBB, B_LEVEL_ZERO, B_CUDA, B_COUNT };

#define UMF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct target_t {
    unsigned id;
    size_t capacity;
    bool has_capacity;
    bool has_bandwidth, has_latency;
    uint64_t bandwidth, latency;
} target_t;

typedef struct space_t {
    const char *name; /* as printed */
    const char *key;  /* JSON */
    bool available;
    size_t n;
    unsigned *ids;
} space_t;

enum { S_HOST_ALL, S_CAPACITY, S_BANDWIDTH, S_LATENCY, S_COUNT };

#define MAX_GPUS 64

typedef struct info_t {
    backend_t backends[B_COUNT];
    info_gpu_device_t gpus[MAX_GPUS];
    size_t num_gpus;
    target_t *targets;
    size_t num_targets;
    space_t spaces[S_COUNT];
} info_t;

static const char *result_name(umf_result_t r) {
    switch (r) {
    case UMF_RESULT_SUCCESS:
        return "UMF_RESULT_SUCCESS";
    case UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY:
        return "UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC:
        return "UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC";
    case UMF_RESULT_ERROR_INVALID_ARGUMENT:
        return "UMF_RESULT_ERROR_INVALID_ARGUMENT";
    case UMF_RESULT_ERROR_INVALID_ALIGNMENT:
        return "UMF_RESULT_ERROR_INVALID_ALIGNMENT";
    case UMF_RESULT_ERROR_NOT_SUPPORTED:
        return "UMF_RESULT_ERROR_NOT_SUPPORTED";
    case UMF_RESULT_ERROR_USER_SPECIFIC:
        return "UMF_RESULT_ERROR_USER_SPECIFIC";
    case UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE:
        return "UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE";
    case UMF_RESULT_ERROR_OUT_OF_RESOURCES:
        return "UMF_RESULT_ERROR_OUT_OF_RESOURCES";
    default:
        return "UMF_RESULT_ERROR_UNKNOWN";
    }
}

/* Create a pool of ops over an OS provider and allocate from it. */
static void try_pool(backend_t *b, const umf_memory_pool_ops_t *ops) {
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t r = umfOsMemoryProviderParamsCreate(&params);
    if (r == UMF_RESULT_SUCCESS) {
        r = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params,
                                    &provider);
        umfOsMemoryProviderParamsDestroy(params);
    }
    if (r == UMF_RESULT_SUCCESS) {
        r = umfPoolCreate(ops, provider, NULL,
                          UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
        if (r != UMF_RESULT_SUCCESS) {
            umfMemoryProviderDestroy(provider);
        }
    }
    if (r != UMF_RESULT_SUCCESS) {
        snprintf(b->detail, sizeof(b->detail), "creating a pool failed: %s",
                 result_name(r));
        return;
    }
    void *p = umfPoolMalloc(pool, 64);
    b->loads = p != NULL;
    snprintf(b->detail, sizeof(b->detail), "%s",
             p ? "a test pool allocates" : "allocating from a pool failed");
    umfPoolFree(pool, p);
    umfPoolDestroy(pool);
}

static void gather_backends(info_t *in) {
    backend_t *b = in->backends;
    b[B_HWLOC] = (backend_t){.name = "hwloc", .key = "hwloc"};
    b[B_JEMALLOC] = (backend_t){.name = "jemalloc", .key = "jemalloc"};
    b[B_TBB] = (backend_t){.name = "tbbmalloc", .key = "tbbmalloc"};
    b[B_LEVEL_ZERO] = (backend_t){.name = "Level Zero", .key = "level_zero"};
    b[B_CUDA] = (backend_t){.name = "CUDA", .key = "cuda"};

    b[B_HWLOC].built = UMF_HAVE_HWLOC;
    if (b[B_HWLOC].built) {
        umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
        char ver[32];
        info_hwloc_version(ver, sizeof(ver));
        b[B_HWLOC].loads = all != NULL;
        if (all) {
            size_t n = umfMemspaceMemtargetNum(all);
            snprintf(b[B_HWLOC].detail, sizeof(b[B_HWLOC].detail),
                     "hwloc API %s, %zu NUMA node%s", ver, n,
                     n == 1 ? "" : "s");
        } else {
            snprintf(b[B_HWLOC].detail, sizeof(b[B_HWLOC].detail),
                     "hwloc API %s, the topology could not be loaded", ver);
        }
    }

    const umf_memory_pool_ops_t *ops = umfJemallocPoolOps();
    b[B_JEMALLOC].built = ops != NULL;
    if (ops) {
        try_pool(&b[B_JEMALLOC], ops);
    }
    ops = umfScalablePoolOps();
    b[B_TBB].built = ops != NULL;
    if (ops) {
        try_pool(&b[B_TBB], ops);
    }
    b[B_LEVEL_ZERO].built = umfLevelZeroMemoryProviderOps() != NULL;
    if (b[B_LEVEL_ZERO].built) {
        size_t n = 0;
        b[B_LEVEL_ZERO].loads = info_level_zero(
            b[B_LEVEL_ZERO].detail, sizeof(b[B_LEVEL_ZERO].detail),
            in->gpus + in->num_gpus, MAX_GPUS - in->num_gpus, &n);
        in->num_gpus += n;
    }
    b[B_CUDA].built = umfCUDAMemoryProviderOps() != NULL;
    if (b[B_CUDA].built) {
        size_t n = 0;
        b[B_CUDA].loads = info_cuda_probe(
            b[B_CUDA].detail, sizeof(b[B_CUDA].detail),
            in->gpus + in->num_gpus, MAX_GPUS - in->num_gpus, &n);
        in->num_gpus += n;
    }
    for (int i = 0; i < B_COUNT; i++) {
        if (!b[i].built) {
            snprintf(b[i].detail, sizeof(b[i].detail),
                     "not built into this libumf");
        }
    }
}

static void gather_targets(info_t *in) {
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    size_t n = umfMemspaceMemtargetNum(all);
    if (n == 0) {
        return;
    }
    in->targets = calloc(n, sizeof(*in->targets));
    if (!in->targets) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        umf_const_memtarget_handle_t t =
            umfMemspaceMemtargetGet(all, (unsigned)i);
        target_t *o = &in->targets[in->num_targets];
        if (umfMemtargetGetId(t, &o->id) != UMF_RESULT_SUCCESS) {
            continue;
        }
        o->has_capacity =
            umfMemtargetGetCapacity(t, &o->capacity) == UMF_RESULT_SUCCESS;
        o->has_bandwidth = info_node_bandwidth(o->id, &o->bandwidth);
        o->has_latency = info_node_latency(o->id, &o->latency);
        in->num_targets++;
    }
}

static void gather_spaces(info_t *in) {
    static const char *const names[S_COUNT][2] = {
        {"host-all", "host_all"},
        {"highest-capacity", "highest_capacity"},
        {"highest-bandwidth", "highest_bandwidth"},
        {"lowest-latency", "lowest_latency"}};
    umf_const_memspace_handle_t ms[S_COUNT] = {
        umfMemspaceHostAllGet(), umfMemspaceHighestCapacityGet(),
        umfMemspaceHighestBandwidthGet(), umfMemspaceLowestLatencyGet()};
    for (int i = 0; i < S_COUNT; i++) {
        space_t *s = &in->spaces[i];
        s->name = names[i][0];
        s->key = names[i][1];
        s->available = ms[i] != NULL;
        size_t n = umfMemspaceMemtargetNum(ms[i]);
        if (n) {
            s->ids = calloc(n, sizeof(*s->ids));
        }
        for (size_t j = 0; s->ids && j < n; j++) {
            umf_const_memtarget_handle_t t =
                umfMemspaceMemtargetGet(ms[i], (unsigned)j);
            if (umfMemtargetGetId(t, &s->ids[s->n]) == UMF_RESULT_SUCCESS) {
                s->n++;
            }
        }
    }
}

static void info_free(info_t *in) {
    free(in->targets);
    for (int i = 0; i < S_COUNT; i++) {
        free(in->spaces[i].ids);
    }
}

/* ---------------------------------------------------------------------- */
/* Printing                                                               */
/* ---------------------------------------------------------------------- */

static void version_string(char *buf, size_t len) {
    int v = umfGetCurrentVersion();
    snprintf(buf, len, "%d.%d", UMF_MAJOR_VERSION(v), UMF_MINOR_VERSION(v));
}

static void human_size(char *buf, size_t len, size_t bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)bytes;
    unsigned u = 0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

static void print_text(const info_t *in) {
    char api[16];
    version_string(api, sizeof(api));
    printf("libumf %s (UMF API %s)\n\n", PACKAGE_VERSION, api);

    printf("Backends:\n");
    for (int i = 0; i < B_COUNT; i++) {
        const backend_t *b = &in->backends[i];
        printf("  %-11s %-9s %-9s %s\n", b->name,
               b->built ? "built" : "not built",
               !b->built  ? "-"
               : b->loads ? "loads"
                          : "fails",
               b->detail);
    }

    printf("\nGPU devices:\n");
    if (in->num_gpus == 0) {
        printf("  none found\n");
    }
    for (size_t i = 0; i < in->num_gpus; i++) {
        const info_gpu_device_t *g = &in->gpus[i];
        char mem[16] = "-";
        if (g->memory) {
            human_size(mem, sizeof(mem), (size_t)g->memory);
        }
        printf("  %-11s %2u  %-7s %-10s %s\n", g->backend, g->index, g->type,
               mem, g->name);
    }

    printf("\nMemory targets (NUMA nodes):\n");
    if (in->num_targets == 0) {
        printf("  none known\n");
    } else {
        printf("  %4s  %-28s  %-14s  %s\n", "node", "capacity", "bandwidth",
               "latency");
    }
    for (size_t i = 0; i < in->num_targets; i++) {
        const target_t *t = &in->targets[i];
        char cap[64] = "-", bw[32] = "-", lat[32] = "-";
        if (t->has_capacity) {
            char h[16];
            human_size(h, sizeof(h), t->capacity);
            snprintf(cap, sizeof(cap), "%zu (%s)", t->capacity, h);
        }
        if (t->has_bandwidth) {
            snprintf(bw, sizeof(bw), "%llu MiB/s",
                     (unsigned long long)t->bandwidth);
        }
        if (t->has_latency) {
            snprintf(lat, sizeof(lat), "%llu ns",
                     (unsigned long long)t->latency);
        }
        printf("  %4u  %-28s  %-14s  %s\n", t->id, cap, bw, lat);
    }

    printf("\nPredefined memory spaces:\n");
    for (int i = 0; i < S_COUNT; i++) {
        const space_t *s = &in->spaces[i];
        printf("  %-18s", s->name);
        if (!s->available) {
            printf(" unavailable");
        }
        for (size_t j = 0; j < s->n; j++) {
            printf(" %u", s->ids[j]);
        }
        printf("\n");
    }
}

/* Backend details come from dlerror() and friends: escape them. */
static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

static void print_json(const info_t *in) {
    char api[16];
    version_string(api, sizeof(api));
    printf("{\n  \"version\": ");
    json_string(PACKAGE_VERSION);
    printf(",\n  \"api_version\": ");
    json_string(api);
    printf(",\n  \"backends\": [");
    for (int i = 0; i < B_COUNT; i++) {
        const backend_t *b = &in->backends[i];
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_string(b->key);
        printf(", \"built\": %s, \"loads\": %s, \"detail\": ",
               b->built ? "true" : "false", b->loads ? "true" : "false");
        json_string(b->detail);
        printf("}");
    }
    printf("\n  ],\n  \"gpu_devices\": [");
    for (size_t i = 0; i < in->num_gpus; i++) {
        const info_gpu_device_t *g = &in->gpus[i];
        printf("%s\n    {\"backend\": ", i ? "," : "");
        json_string(g->backend);
        printf(", \"index\": %u, \"name\": ", g->index);
        json_string(g->name);
        printf(", \"type\": ");
        json_string(g->type);
        printf(", \"memory\": %llu}", (unsigned long long)g->memory);
    }
    printf("%s],\n  \"memory_targets\": [", in->num_gpus ? "\n  " : "");
    for (size_t i = 0; i < in->num_targets; i++) {
        const target_t *t = &in->targets[i];
        printf("%s\n    {\"id\": %u, \"type\": \"numa\", \"capacity\": ",
               i ? "," : "", t->id);
        if (t->has_capacity) {
            printf("%zu", t->capacity);
        } else {
            printf("null");
        }
        printf(", \"bandwidth_mib_s\": ");
        if (t->has_bandwidth) {
            printf("%llu", (unsigned long long)t->bandwidth);
        } else {
            printf("null");
        }
        printf(", \"latency_ns\": ");
        if (t->has_latency) {
            printf("%llu", (unsigned long long)t->latency);
        } else {
            printf("null");
        }
        printf("}");
    }
    printf("%s],\n  \"memory_spaces\": {", in->num_targets ? "\n  " : "");
    for (int i = 0; i < S_COUNT; i++) {
        const space_t *s = &in->spaces[i];
        printf("%s\n    ", i ? "," : "");
        json_string(s->key);
        if (!s->available) {
            printf(": null");
            continue;
        }
        printf(": [");
        for (size_t j = 0; j < s->n; j++) {
            printf("%s%u", j ? ", " : "", s->ids[j]);
        }
        printf("]");
    }
    printf("\n  }\n}\n");
}

static void usage(FILE *f) {
    fprintf(f, "Usage: umf-info [--json]\n"
               "       umf-info --help | --version\n"
               "Print the libumf version, its backends and whether each loads "
               "here,\n"
               "the memory targets (NUMA nodes) and the predefined memory "
               "spaces.\n"
               "\n"
               "  --json     print the same as a JSON object\n"
               "  --help     print this help and exit\n"
               "  --version  print the version and exit\n"
               "\n"
               "HWLOC_XMLFILE=topology.xml shows a saved topology instead of "
               "this machine's.\n");
}

int main(int argc, char **argv) {
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_SUCCESS;
        } else if (strcmp(argv[i], "--version") == 0 ||
                   strcmp(argv[i], "-V") == 0) {
            char api[16];
            version_string(api, sizeof(api));
            printf("umf-info (libumf) %s, UMF API %s\n", PACKAGE_VERSION, api);
            return EXIT_SUCCESS;
        } else {
            fprintf(stderr, "umf-info: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    info_t in;
    memset(&in, 0, sizeof(in));
    (void)info_topo_open();
    gather_backends(&in);
    gather_targets(&in);
    gather_spaces(&in);
    if (json) {
        print_json(&in);
    } else {
        print_text(&in);
    }
    info_free(&in);
    info_topo_close();
    return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_SUCCESS : EXIT_FAILURE;
}
