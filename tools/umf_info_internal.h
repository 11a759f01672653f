/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_internal.h -- what umf-info asks hwloc directly: the public UMF
 * API has no bandwidth or latency getter. umf_info_hwloc.c loads the
 * tool's own hwloc topology (hwloc reads HWLOC_XMLFILE, HWLOC_SYNTHETIC and
 * the like itself, as libumf's does); umf_info_nohwloc.c answers "unknown"
 * when libumf is built without hwloc. */
#ifndef UMF_INFO_INTERNAL_H
#define UMF_INFO_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Load the topology; false without hwloc or when loading fails. */
bool info_topo_open(void);
void info_topo_close(void);

/* The API version of the hwloc library in use ("2.8"), or "" without
 * one. */
void info_hwloc_version(char *buf, size_t len);

/* The best bandwidth (MiB/s) or latency (ns) with which any CPUs reach NUMA
 * node id, from the firmware's HMAT through hwloc; false when unknown. */
bool info_node_bandwidth(unsigned id, uint64_t *mib_per_s);
bool info_node_latency(unsigned id, uint64_t *ns);

/* A GPU device found by a GPU backend's own driver query. */
typedef struct info_gpu_device_t {
    const char *backend; /* JSON key of the backend: "level_zero", "cuda" */
    unsigned index;      /* within the backend, in discovery order */
    char name[256];
    const char *type; /* "GPU", "CPU", "FPGA", ... */
    uint64_t memory;  /* bytes of device memory, 0: unknown */
} info_gpu_device_t;

/* Level Zero (umf_info_level_zero.c, or _none.c when libumf is built
 * without it): load libze_loader.so.1 at run time, initialise it and list
 * up to max devices of every driver into devs (*num of them). Writes what
 * was found or what failed to detail; true when a device was found. */
bool info_level_zero(char *detail, size_t len, info_gpu_device_t *devs,
                     size_t max, size_t *num);

/* CUDA (umf_info_cuda.c): whether a CUDA provider can be created here;
 * detail gets one line on the driver, devs up to max devices. */
bool info_cuda_probe(char *detail, size_t len, info_gpu_device_t *devs,
                     size_t max, size_t *ndevs);

#endif /* UMF_INFO_INTERNAL_H */
