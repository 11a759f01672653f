/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* level_zero_ipc.c -- two processes sharing Level Zero device memory: the
 * producer allocates from a disjoint pool, fills the memory through a
 * command list (the host cannot touch device memory), and sends an IPC
 * handle to the consumer, this program started again with "consumer",
 * over a pipe. The consumer opens the handle in its own context, checks
 * the bytes, writes its own and closes it; the producer then sees them.
 *
 * Build: cc level_zero_ipc.c $(pkg-config --cflags --libs umf level-zero)
 * Both processes must belong to the same user (the consumer takes a copy
 * of the producer's file descriptor with pidfd_getfd). Exits 77 when there
 * is no Level Zero driver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ze_api.h>

#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_level_zero.h>

#define SIZE 4096

static ze_context_handle_t context;
static ze_device_handle_t device;
static ze_command_list_handle_t list;

/* The first device of the first driver, a context, a command list. */
static int gpu_open(void) {
    ze_driver_handle_t driver;
    uint32_t n = 1;
    if (zeInit(0) != ZE_RESULT_SUCCESS ||
        zeDriverGet(&n, &driver) != ZE_RESULT_SUCCESS || n == 0 ||
        (n = 1, zeDeviceGet(driver, &n, &device)) != ZE_RESULT_SUCCESS ||
        n == 0) {
        return 77;
    }
    ze_context_desc_t cd = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    ze_command_queue_desc_t qd = {.stype = ZE_STRUCTURE_TYPE_COMMAND_QUEUE_DESC,
                                  .mode = ZE_COMMAND_QUEUE_MODE_SYNCHRONOUS};
    if (zeContextCreate(driver, &cd, &context) != ZE_RESULT_SUCCESS ||
        zeCommandListCreateImmediate(context, device, &qd, &list) !=
            ZE_RESULT_SUCCESS) {
        return 1;
    }
    return 0;
}

static void gpu_close(void) {
    zeCommandListDestroy(list);
    zeContextDestroy(context);
}

/* device <-> host copies, complete on return (synchronous list) */
static int copy(void *dst, const void *src) {
    return zeCommandListAppendMemoryCopy(list, dst, src, SIZE, NULL, 0, NULL) ==
                   ZE_RESULT_SUCCESS
               ? 0
               : -1;
}

/* A disjoint pool on device memory (it owns its provider). */
static umf_memory_pool_handle_t pool_create(void) {
    umf_level_zero_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (umfLevelZeroMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfLevelZeroMemoryProviderParamsSetContext(params, context);
    umfLevelZeroMemoryProviderParamsSetDevice(params, device);
    umfLevelZeroMemoryProviderParamsSetMemoryType(params,
                                                  UMF_MEMORY_TYPE_DEVICE);
    umf_result_t ret = umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(),
                                               params, &provider);
    umfLevelZeroMemoryProviderParamsDestroy(params);
    if (ret == UMF_RESULT_SUCCESS &&
        umfPoolCreate(umfDisjointPoolOps(), provider, NULL,
                      UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                      &pool) != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(provider);
    }
    return pool;
}

static int consumer(void) {
    size_t len;
    if (fread(&len, sizeof(len), 1, stdin) != 1 || len > 65536) {
        return 1;
    }
    umf_ipc_handle_t handle = malloc(len);
    if (!handle || fread(handle, 1, len, stdin) != len || gpu_open() != 0) {
        return 1;
    }
    umf_memory_pool_handle_t pool = pool_create();
    umf_ipc_handler_handle_t handler = NULL;
    void *mem = NULL;
    if (!pool || umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS ||
        umfOpenIPCHandle(handler, handle, &mem) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "consumer: cannot open the IPC handle\n");
        return 1;
    }
    char host[SIZE], want[SIZE];
    memset(want, 'P', SIZE);
    int bad = copy(host, mem) != 0 || memcmp(host, want, SIZE) != 0;
    printf("consumer: the producer's bytes %s\n", bad ? "DIFFER" : "arrived");
    memset(host, 'C', SIZE);
    bad |= copy(mem, host) != 0;
    umfCloseIPCHandle(mem);
    umfPoolDestroy(pool);
    gpu_close();
    free(handle);
    return bad;
}

static int producer(const char *self) {
    int ret = gpu_open();
    if (ret) {
        printf("no Level Zero driver or device: nothing to show\n");
        return ret;
    }
    umf_memory_pool_handle_t pool = pool_create();
    void *mem = pool ? umfPoolMalloc(pool, SIZE) : NULL;
    if (!mem) {
        fprintf(stderr, "producer: no device memory\n");
        return 1;
    }
    char host[SIZE];
    memset(host, 'P', SIZE);
    umf_ipc_handle_t handle = NULL;
    size_t len = 0;
    if (copy(mem, host) != 0 ||
        umfGetIPCHandle(mem, &handle, &len) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "producer: cannot make an IPC handle\n");
        return 1;
    }

    int fds[2];
    if (pipe(fds) != 0) {
        return 1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl(self, self, "consumer", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    int status = 1;
    if (pid < 0 || write(fds[1], &len, sizeof(len)) != sizeof(len) ||
        write(fds[1], handle, len) != (ssize_t)len) {
        fprintf(stderr, "producer: cannot start the consumer\n");
    }
    close(fds[1]);
    if (pid > 0) {
        waitpid(pid, &status, 0);
    }
    char want[SIZE];
    memset(want, 'C', SIZE);
    int bad =
        status != 0 || copy(host, mem) != 0 || memcmp(host, want, SIZE) != 0;
    printf("producer: the consumer's bytes %s\n",
           bad ? "DID NOT ARRIVE" : "arrived");
    umfPutIPCHandle(handle);
    umfFree(mem);
    umfPoolDestroy(pool);
    gpu_close();
    return bad;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "consumer") == 0) {
        return consumer();
    }
    return producer("/proc/self/exe");
}
