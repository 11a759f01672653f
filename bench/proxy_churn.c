/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_churn.c -- the churn workload of bench_pools on plain malloc and
 * free, for bench/bench_proxy.sh to run under each allocator (glibc,
 * LD_PRELOAD of jemalloc, libumf_proxy with each pool).
 *
 *   proxy_churn THREADS STEPS
 *
 * Each thread keeps 10,000 live blocks of 8..4096 bytes; a step frees 10
 * of them, chosen at random, and allocates 10 new ones in their place.
 * It prints a checksum of the sizes, the same under every allocator; the
 * script measures the time. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LIVE 10000
#define BATCH 10

static long steps;

static uint64_t next_rand(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *churn(void *arg) {
    uint64_t rng = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1);
    static __thread unsigned char *live[LIVE];
    uint64_t sum = 0;
    for (int i = 0; i < LIVE; i++) {
        size_t n = 8 + next_rand(&rng) % 4089;
        live[i] = malloc(n);
        if (!live[i]) {
            abort();
        }
        live[i][0] = (unsigned char)n;
        sum += n;
    }
    for (long s = 0; s < steps; s++) {
        for (int b = 0; b < BATCH; b++) {
            size_t k = next_rand(&rng) % LIVE;
            free(live[k]);
            size_t n = 8 + next_rand(&rng) % 4089;
            live[k] = malloc(n);
            if (!live[k]) {
                abort();
            }
            live[k][0] = (unsigned char)n;
            sum += n;
        }
    }
    for (int i = 0; i < LIVE; i++) {
        free(live[i]);
    }
    return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    steps = argc > 2 ? atol(argv[2]) : 1000000;
    if (threads < 1 || threads > 64 || steps < 1) {
        fprintf(stderr, "usage: %s THREADS STEPS\n", argv[0]);
        return 2;
    }
    pthread_t t[64];
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (uint64_t)(uintptr_t)r;
    }
    printf("churn: %d threads, %ld steps, checksum %llu\n", threads, steps,
           (unsigned long long)total);
    return 0;
}
